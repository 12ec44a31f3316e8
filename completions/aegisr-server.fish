# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_aegisr_server_global_optspecs
    string join \n config= bind= port= grpc-port= metrics-port= dir= threads= worker-placement= shards= databases= maxclients= timeout= hz= proto-max-bulk-len= client-query-buffer-limit= maxmemory= maxmemory-policy= loglevel= log-format= persistence= appendonly= appendfsync= disable-thp= save= cluster join= replicaof= replicas= cluster-port= cluster-announce-ip= cluster-announce-bus-port= bind-source-addr= failover-timeout= node-gone-timeout= min-replicas-ack= requirepass= aclfile= logfile= pidfile= h/help V/version
end

function __fish_aegisr_server_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_aegisr_server_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_aegisr_server_using_subcommand
    set -l cmd (__fish_aegisr_server_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l config -d 'Config file with options by their Redis names: TOML (`maxclients = 5000`) or a redis.conf (`maxclients 5000`), told apart by the extension or the first line' -r -F
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l bind -d 'Addresses to listen on, space separated [default: 127.0.0.1]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l port -d 'RESP port; 0 picks a free port [default: 6379]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l grpc-port -d 'gRPC port (Data and Admin services); 0 picks a free port [default: 7379]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l metrics-port -d 'HTTP port of /metrics, /healthz and /readyz; 0 picks a free port, -1 turns it off [default: 9379]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l dir -d 'Data directory [default: ./aegisr-data]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l threads -d 'Worker threads; 0 means one per core [default: 0]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l worker-placement -d 'Which worker serves a connection: adaptive (gather on one worker, spread when it is saturated and a core is spare) or spread (as many on each) [default: adaptive]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l shards -d 'Keyspace shards, a power of two; 0 picks 16 per worker thread [default: 0]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l databases -d 'Number of logical databases [default: 16]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l maxclients -d 'Most clients connected at once [default: 10000]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l timeout -d 'Close clients idle for this many seconds, 0 for never [default: 0]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l hz -d 'Active expiry passes per second [default: 10]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l proto-max-bulk-len -d 'Largest bulk string a client may send, e.g. 512mb [default: 512mb]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l client-query-buffer-limit -d 'Most bytes pending in one client\'s unfinished command [default: 1gb]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l maxmemory -d 'Memory limit, e.g. 100mb or 2gb; past it keys are evicted by --maxmemory-policy; 0 for none [default: 0]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l maxmemory-policy -d 'Which keys to evict past maxmemory: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random or volatile-ttl [default: noeviction]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l loglevel -d 'debug, verbose, notice, warning or nothing [default: notice]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l log-format -d 'text, or json: one JSON object per line for log shippers [default: text]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l persistence -d 'on: keep the data in --dir (journal and snapshots); none: memory only, nothing is written [default: on]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l appendonly -d 'yes: log every write to the journal; no: snapshots only (--save, SAVE, BGSAVE) [default: yes]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l appendfsync -d 'When the journal is synced: always (before each reply, shared by concurrent writers), everysec, or no (left to the OS) [default: everysec]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l disable-thp -d 'yes: no transparent huge pages for this process (leaner memory per key, as Redis); no: the allocator may use them (fewer TLB misses on large datasets) [default: yes]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l save -d 'Snapshot rules, "<seconds> <changes> ..."; "" for none [default: "3600 1 300 100 60 10000"]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l join -d 'Join the cluster that has a member at HOST:PORT, its cluster port (implies --cluster; ignored once this node has cluster state)' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l replicaof -d 'Follow this Redis master from the start, "HOST PORT", as REPLICAOF does: the node takes the master\'s data and every write it makes (standalone nodes)' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l replicas -d 'Replicas per shard group, set by the node that bootstraps the cluster [default: 1]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l cluster-port -d 'Cluster bus port (Raft, joins, heartbeats); 0 picks a free port [default: the RESP port + 10000]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l cluster-announce-ip -d 'Address announced to other nodes and clients [default: the bind address if it is one specific IP, else 127.0.0.1]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l cluster-announce-bus-port -d 'Cluster port announced to the other nodes, e.g. one forwarded to the cluster port by NAT or a proxy; 0 announces the real one [default: 0]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l bind-source-addr -d 'Local address of the connections this node opens to other cluster nodes [default: chosen by the OS]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l failover-timeout -d 'Milliseconds of missed heartbeats before a primary\'s replica is promoted [default: 1000]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l node-gone-timeout -d 'Milliseconds of silence before a node is removed from the cluster for good; 0 for never [default: 60000]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l min-replicas-ack -d 'Quorum writes: a primary replies to a write only once N replicas have applied it (no acknowledged write lost on failover); 0 is asynchronous, as Redis [default: 0]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l requirepass -d 'The default user\'s password: clients must AUTH (gRPC: `authorization` metadata) [default: none]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l aclfile -d 'ACL file of users (`user <name> <rules>` lines), loaded at start and by ACL LOAD, written by ACL SAVE [default: none]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l logfile -d 'Write the log to this file (appended) instead of standard output [default: none]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l pidfile -d 'Write the process ID to this file at start, and remove it at shutdown [default: none]' -r
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -l cluster -d 'Run as a cluster node; with no cluster state yet, bootstrap a one-node cluster owning every slot'
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -s h -l help -d 'Print help'
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -s V -l version -d 'Print version'
complete -c aegisr-server -n "__fish_aegisr_server_needs_command" -a "check-data" -d 'Verify a data directory (journal segments and snapshots) without starting a node; with --repair, cut the journal at the first damaged record after saying exactly what would be lost. Exit status 0 when the directory is sound (or repaired)'
complete -c aegisr-server -n "__fish_aegisr_server_using_subcommand check-data" -l repair -d 'Truncate the journal at the first damaged record'
complete -c aegisr-server -n "__fish_aegisr_server_using_subcommand check-data" -s h -l help -d 'Print help'
