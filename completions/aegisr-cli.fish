# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_aegisr_cli_global_optspecs
    string join \n h/host= p/port= n/db= a/pass= user= t/timeout= raw no-raw csv json no-table help r/repeat= i/interval= V/version
end

function __fish_aegisr_cli_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_aegisr_cli_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_aegisr_cli_using_subcommand
    set -l cmd (__fish_aegisr_cli_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s r -l repeat -d 'Send the command N times (-1: forever)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s i -l interval -d 'Wait SECS between repeats (fractions allowed, e.g. 0.1)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -s V -l version -d 'Print version'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "info" -d 'Server information, section by section, aligned'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "stat" -d 'Rolling server stats, a line per interval: keys, memory, clients, blocked, requests/s, connections (like `redis-cli --stat`)'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "latency" -d 'PING round-trip latency over gRPC: live min/avg/p50/p99/max in milliseconds'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "bigkeys" -d 'The biggest key of each type by length (STRLEN, LLEN, HLEN, SCARD, ZCARD), found with SCAN, so the server is never blocked'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "memkeys" -d 'The keys using the most memory (MEMORY USAGE), found with SCAN; when the server has no MEMORY USAGE, an estimate from lengths, said so in the output'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "scan" -d 'Lists keys with SCAN (never blocking the server), one per line'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "monitor" -d 'Prints every command the node runs, as it runs it (MONITOR, over the Admin Monitor stream), in redis-cli --monitor\'s format, until Ctrl-C. Watching costs the node: use it for debugging, not as a permanent feed'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "subscribe" -d 'Prints messages published to channels (and patterns, shard channels) as they arrive, until Ctrl-C'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "backup" -d 'Streams a consistent backup of the node into FILE (Admin Backup): a snapshot taken while the node serves, with a manifest and a checksum per MiB, checked as it arrives'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "restore" -d 'Restores a backup FILE into the node (Admin Restore). The node verifies all of it (checksums, structure, every value) before touching any data, then replaces its whole dataset at once, or with --merge overwrites only the keys the backup holds'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "cluster" -d 'Cluster operations over the Admin API: status, nodes, slots, failover, remove-node, rebalance, add-node. Give any member\'s gRPC address with -h/-p'
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "shutdown" -d 'Stops the server gracefully through the Admin Shutdown RPC'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l count -d 'Stop after N lines' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l every -d 'Seconds between lines' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand stat" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l count -d 'Stop after N samples' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l pause-ms -d 'Milliseconds between samples' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand latency" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l pattern -d 'Only keys matching this glob pattern' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l count -d 'SCAN\'s COUNT hint: keys looked at per call' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l pause -d 'Seconds to sleep between SCAN calls, to go easier on a busy server' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand bigkeys" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l pattern -d 'Only keys matching this glob pattern' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l count -d 'SCAN\'s COUNT hint: keys looked at per call' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l pause -d 'Seconds to sleep between SCAN calls, to go easier on a busy server' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand memkeys" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l pattern -d 'Only keys matching this glob pattern' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l count -d 'SCAN\'s COUNT hint: keys looked at per call' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l pause -d 'Seconds to sleep between SCAN calls, to go easier on a busy server' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l type -d 'Only keys of this type (string, list, hash, set, zset...)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand scan" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l count -d 'Stop after N lines' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand monitor" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l pattern -d 'Glob patterns of channels (PSUBSCRIBE), repeatable' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l shard -d 'Shard channels (SSUBSCRIBE), repeatable' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l count -d 'Stop after N messages' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand subscribe" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l force -d 'Overwrite FILE if it exists'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand backup" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l merge -d 'Keep the node\'s other keys: the backup\'s keys overwrite those of the same name'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s y -l yes -d 'Do not ask for confirmation'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "status" -d 'One screen: cluster state, epoch, leader, groups with their primary, replicas and slot counts, migrations in flight, replication lag of each replica'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "nodes" -d 'Every member as a table: name, address, role, group, slots, replication offset, last heartbeat seen by the leader'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "slots" -d 'The slot map: each run of slots, its shard group and the group\'s primary'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "failover" -d 'Promotes a replica: runs CLUSTER FAILOVER [FORCE] on that replica (over its gRPC port), then waits until the cluster map shows it primary and prints how long it took'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "remove-node" -d 'Removes a node from the cluster for good; its group is healed from spare replicas (a removed primary is replaced by its first replica; a group left empty loses its slots)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "rebalance" -d 'Shows the automatic rebalance: slots still to move to even out the groups and the migrations in flight, with a progress bar until nothing is left to move. The moves themselves are automatic (the leader starts them when a group forms)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and not __fish_seen_subcommand_from status nodes slots failover remove-node rebalance add-node" -f -a "add-node" -d 'Prints how to add a node. Nodes join by themselves: start the new node with `aegisr-server --join <a member\'s cluster bus address>` (this command prints the address from the cluster map); the control plane places it as a replica or, when a whole group can be formed, as a new group\'s primary that then takes its share of slots by live migration'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from status" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from nodes" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from slots" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l wait -d 'Seconds to wait for the map to show the new primary' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l force -d 'Promote at once, without waiting for the replica to catch up'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from failover" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -s y -l yes -d 'Do not ask for confirmation'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from remove-node" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l wait -d 'Seconds to follow the moves (0: print the plan and return)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from rebalance" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand cluster; and __fish_seen_subcommand_from add-node" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s a -l pass -l password -d 'Password for a node that requires one (requirepass or an ACL user\'s), sent with every call as `authorization` metadata' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l user -d 'ACL user name to authenticate as, with --pass [default: the default user]' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l save -d 'Save before stopping'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l nosave -d 'Do not save before stopping'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l help -d 'Print help (see more with --help)'
