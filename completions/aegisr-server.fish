complete -c aegisr-server -l config -d 'TOML file with options by their Redis names (e.g. `maxclients = 5000`)' -r -F
complete -c aegisr-server -l bind -d 'Addresses to listen on, space separated [default: 127.0.0.1]' -r
complete -c aegisr-server -l port -d 'RESP port; 0 picks a free port [default: 6379]' -r
complete -c aegisr-server -l grpc-port -d 'gRPC port (Data and Admin services); 0 picks a free port [default: 7379]' -r
complete -c aegisr-server -l metrics-port -d 'HTTP port of /metrics, /healthz and /readyz; 0 picks a free port, -1 turns it off [default: 9379]' -r
complete -c aegisr-server -l dir -d 'Data directory [default: ./aegisr-data]' -r
complete -c aegisr-server -l threads -d 'Worker threads; 0 means one per core [default: 0]' -r
complete -c aegisr-server -l shards -d 'Keyspace shards, a power of two; 0 picks 16 per worker thread [default: 0]' -r
complete -c aegisr-server -l databases -d 'Number of logical databases [default: 16]' -r
complete -c aegisr-server -l maxclients -d 'Most clients connected at once [default: 10000]' -r
complete -c aegisr-server -l timeout -d 'Close clients idle for this many seconds, 0 for never [default: 0]' -r
complete -c aegisr-server -l hz -d 'Active expiry passes per second [default: 10]' -r
complete -c aegisr-server -l proto-max-bulk-len -d 'Largest bulk string a client may send, e.g. 512mb [default: 512mb]' -r
complete -c aegisr-server -l client-query-buffer-limit -d 'Most bytes pending in one client\'s unfinished command [default: 1gb]' -r
complete -c aegisr-server -l maxmemory -d 'Memory limit, e.g. 100mb or 2gb; past it keys are evicted by --maxmemory-policy; 0 for none [default: 0]' -r
complete -c aegisr-server -l maxmemory-policy -d 'Which keys to evict past maxmemory: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random or volatile-ttl [default: noeviction]' -r
complete -c aegisr-server -l loglevel -d 'debug, verbose, notice, warning or nothing [default: notice]' -r
complete -c aegisr-server -s h -l help -d 'Print help'
complete -c aegisr-server -s V -l version -d 'Print version'
