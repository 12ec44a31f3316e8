complete -c aegisr-tui -l interval -d 'Milliseconds between updates' -r
complete -c aegisr-tui -s a -l pass -d 'Password of nodes that require one (requirepass or an ACL user\'s, allowed every command), sent with every call as `authorization` metadata' -r
complete -c aegisr-tui -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-tui -l no-color -d 'No colours (also when the NO_COLOR environment variable is set)'
complete -c aegisr-tui -s h -l help -d 'Print help'
complete -c aegisr-tui -s V -l version -d 'Print version'
