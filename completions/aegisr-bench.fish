complete -c aegisr-bench -l publishers -d 'Publishing connections in --pubsub mode' -r
complete -c aegisr-bench -l subscribers -d 'Subscribing connections in --pubsub mode' -r
complete -c aegisr-bench -s h -l host -l server -d 'Server host name or address' -r
complete -c aegisr-bench -s p -l port -d 'Server port [default: 6379 for RESP, 7379 for gRPC]' -r
complete -c aegisr-bench -l protocol -d 'Protocol to speak' -r -f -a "resp\t'RESP2 over TCP: Aegisr, Redis, Valkey, any Redis-compatible server'
grpc\t'Aegisr\'s gRPC `Data` service (`Execute`, or `Pipeline` when --pipeline > 1)'"
complete -c aegisr-bench -s a -l password -l authenticate -d 'Password: AUTH is sent on every connection (gRPC: `authorization` metadata on every call; not with --cluster)' -r
complete -c aegisr-bench -l user -d 'User name for AUTH (ACL), used with --password' -r
complete -c aegisr-bench -l dbnum -d 'Database number (RESP: SELECTed on connect; gRPC: sent with every command)' -r
complete -c aegisr-bench -s c -l clients -d 'Connections per thread; the total is --threads x --clients' -r
complete -c aegisr-bench -s t -l threads -d 'Client threads, each with its own event loop (one is enough to saturate most servers on a small machine; raise it for big servers)' -r
complete -c aegisr-bench -s P -l pipeline -d 'Requests in flight per connection: each connection writes this many requests at once and waits for all replies (RESP: one write; gRPC: one Pipeline RPC)' -r
complete -c aegisr-bench -s n -l requests -d 'Total requests across all connections [default: 100000 unless --test-time is given]' -r
complete -c aegisr-bench -l test-time -l duration -d 'Run for this long instead of a request count: seconds, or with a unit (500ms, 30s, 2m)' -r
complete -c aegisr-bench -s d -l data-size -d 'Value size in bytes for __data__' -r
complete -c aegisr-bench -l data-size-range -d 'Value sizes drawn uniformly from MIN-MAX bytes, e.g. 32-1024' -r
complete -c aegisr-bench -s r -l keyspace -l key-maximum -d 'Number of distinct keys (keys are <key-prefix>0 .. <key-prefix>N-1)' -r
complete -c aegisr-bench -l key-prefix -d 'Prefix of every key' -r
complete -c aegisr-bench -l key-pattern -d 'Key distribution' -r -f -a "uniform\t'Every key equally likely (memtier `R`)'
sequential\t'Keys in order, each thread walking its own slice (memtier `S`)'
zipf\t'Zipfian, skewed by --zipf-exponent (key 0 hottest)'"
complete -c aegisr-bench -l zipf-exponent -d 'Skew of --key-pattern zipf (> 0; 0.99 is YCSB\'s default, higher is more skewed)' -r
complete -c aegisr-bench -l ratio -d 'Built-in command mix, e.g. set:get=1:10 or memtier\'s 1:10 (SET:GET) [default: 1:10 unless --command is given]. Names: set get ping incr del exists append strlen getset lpush rpush lpop rpop sadd spop hset hget zadd' -r
complete -c aegisr-bench -l command -d 'A command template, e.g. "LPUSH __key__ __data__"; repeat for a mix' -r
complete -c aegisr-bench -l command-ratio -d 'Weight of each --command, in the same order [default: 1 each]' -r
complete -c aegisr-bench -l rate -l rate-limiting -d 'Open loop: send this many requests per second in total, on a fixed schedule, and count each latency from the request\'s scheduled time (corrects coordinated omission)' -r
complete -c aegisr-bench -l warmup -d 'Run the workload this long first, without recording (seconds or with a unit)' -r
complete -c aegisr-bench -l seed -d 'Seed for keys, values and the command mix [default: random]' -r
complete -c aegisr-bench -l hdr-log -d 'Write latency histograms to FILE as an HdrHistogram interval log (one histogram per command per second, tagged with the command; values in microseconds)' -r -F
complete -c aegisr-bench -l compare -d 'Also benchmark this server (HOST:PORT), alternating rounds, and print the ratio of each metric (compared / first)' -r
complete -c aegisr-bench -l rounds -d 'Rounds per server with --compare' -r
complete -c aegisr-bench -l connect-timeout -d 'Connect timeout, seconds' -r
complete -c aegisr-bench -l pubsub -d 'Pub/sub mode: --publishers PUBLISH (pipelined by --pipeline) --data-size payloads to one channel read by --subscribers connections; reports messages delivered per second and publish-to-receive latency. With --compare, alternating rounds against both'
complete -c aegisr-bench -l cluster -d 'The target is a cluster node: read the slot map from it and send each request to the primary owning its key\'s slot (RESP: CLUSTER SLOTS, a connection per node for each client, MOVED / ASK / TRYAGAIN followed; gRPC: aegisr_proto::ClusterClient, one Execute per request). The report adds the requests each node answered'
complete -c aegisr-bench -l prefill -d 'Before the run, SET every key of the key space once (values of --data-size)'
complete -c aegisr-bench -l json -d 'Print results as JSON on stdout (instead of the table)'
complete -c aegisr-bench -l csv -d 'Print results as CSV on stdout (instead of the table)'
complete -c aegisr-bench -s q -l quiet -d 'No progress bar'
complete -c aegisr-bench -l help -d 'Print help (--help for examples)'
complete -c aegisr-bench -s V -l version -d 'Print version'
