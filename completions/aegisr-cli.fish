# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_aegisr_cli_global_optspecs
    string join \n h/host= p/port= n/db= t/timeout= raw no-raw csv json no-table help r/repeat= i/interval= V/version
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
complete -c aegisr-cli -n "__fish_aegisr_cli_needs_command" -a "shutdown" -d 'Stops the server gracefully through the Admin Shutdown RPC'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand info" -s n -l db -d 'Database number' -r
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
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l merge -d 'Keep the node\'s other keys: the backup\'s keys overwrite those of the same name'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -s y -l yes -d 'Do not ask for confirmation'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand restore" -l help -d 'Print help (see more with --help)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s h -l host -d 'Server host' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s p -l port -d 'Server gRPC port (aegisr-server --grpc-port)' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s n -l db -d 'Database number' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -s t -l timeout -d 'Seconds to wait for the connection' -r
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l save -d 'Save before stopping'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l nosave -d 'Do not save before stopping'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l raw -d 'Print bare values (default when stdout is not a terminal)'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l no-raw -d 'Print redis-cli\'s layout even when stdout is not a terminal'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l csv -d 'Print replies as CSV'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l json -d 'Print each reply as one JSON document'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l no-table -d 'Never print tabular replies as tables'
complete -c aegisr-cli -n "__fish_aegisr_cli_using_subcommand shutdown" -l help -d 'Print help (see more with --help)'
