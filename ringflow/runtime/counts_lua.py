"""The live-counts flush as one Redis script per flow (see :mod:`ringflow.runtime.counts`).

KEYS: node totals (hash), outlet totals (hash), "bucket|node" -> calls (hash), "bucket|node" by bucket (sorted set).
ARGV: sweep cutoff (buckets ending before it are swept), 1 if the totals are wanted anyway (the
      flow changed), then three delta lists, each a count
      followed by (field, delta) pairs: nodes, outlets, deadline buckets.
Returns {node totals, outlet totals, calls swept off their nodes}; totals are left out (empty)
when the flow did not change and nothing was swept, so the periodic sweep of every flow stays cheap.
"""

FLUSH = """
local i, news = 3, ARGV[2] == '1'
for k = 1, 3 do
  local n = tonumber(ARGV[i])
  for _ = 1, n do
    local field, delta = ARGV[i + 1], ARGV[i + 2]
    if redis.call('HINCRBY', KEYS[k], field, delta) == 0 and k == 3 then
      redis.call('HDEL', KEYS[3], field)
      redis.call('ZREM', KEYS[4], field)
    elseif k == 3 then
      redis.call('ZADD', KEYS[4], tonumber(string.match(field, '^(%d+)|')), field)
    end
    i = i + 2
  end
  i = i + 1
end
local swept = 0
for _, field in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1])) do
  local left = tonumber(redis.call('HGET', KEYS[3], field) or '0')
  if left ~= 0 then
    redis.call('HINCRBY', KEYS[1], string.match(field, '^%d+|(.*)$'), -left)
    swept = swept + left
  end
  redis.call('HDEL', KEYS[3], field)
  redis.call('ZREM', KEYS[4], field)
end
if swept == 0 and not news then
  return {{}, {}, 0}  -- a sweep that found nothing: no totals to publish
end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), swept}
"""
