-- One key's monthly request count, atomically. First adds ARGV[4] requests already admitted elsewhere (while Redis
-- was unreachable) unconditionally, then takes up to ARGV[2] more if the quota ARGV[1] has room for all of them, or
-- with ARGV[3] = '1' as many as there is room for. The count expires at ARGV[5] (epoch seconds), after its month.
-- KEYS[1] counter. Returns {requests taken, count after}.
local quota = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[4])
local room = math.max(0, quota - used)
local taken = 0
if ARGV[3] == '1' then
  taken = math.min(wanted, room)
elseif room >= wanted then
  taken = wanted
end
used = used + taken
redis.call('SET', KEYS[1], used)
redis.call('EXPIREAT', KEYS[1], ARGV[5])
return {taken, used}
