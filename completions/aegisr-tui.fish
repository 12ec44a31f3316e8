complete -c aegisr-tui -l interval -d 'Milliseconds between updates' -r
complete -c aegisr-tui -l no-color -d 'No colours (also when the NO_COLOR environment variable is set)'
complete -c aegisr-tui -s h -l help -d 'Print help'
complete -c aegisr-tui -s V -l version -d 'Print version'
