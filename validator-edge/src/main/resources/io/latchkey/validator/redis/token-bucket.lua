-- One key's token bucket, atomically: refill by Redis's clock (shared by every edge), then take ARGV[4] tokens if
-- all are there, or with ARGV[5] = '1' as many whole tokens as there are up to ARGV[4]. A negative ARGV[4] gives
-- unused tokens back (never beyond capacity). KEYS[1] bucket; ARGV: capacity, limit, period in ms, cost, partial.
-- Returns {tokens taken, tokens left in millitokens, ms until the next token, ms until full}.
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'n')
local tokens = capacity
if state[1] then
  local last = tonumber(state[1])
  tokens = tonumber(state[2])
  if now > last then
    tokens = tokens + (now - last) * rate
  else
    now = last
  end
  if tokens > capacity then
    tokens = capacity
  end
end
if ARGV[5] == '1' and cost > 0 then
  cost = math.min(cost, math.floor(tokens))
end
local taken = 0
if cost ~= 0 and tokens >= cost then
  tokens = math.min(capacity, tokens - cost)
  taken = cost
end
redis.call('HSET', KEYS[1], 't', now, 'n', tostring(tokens))
local full = math.ceil((capacity - tokens) / rate)
redis.call('PEXPIRE', KEYS[1], full + 1000)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) / rate)
end
return {taken, math.floor(tokens * 1000), wait, full}
