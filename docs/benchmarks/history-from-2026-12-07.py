"""A key's history from a time: python3 history-from-2026-12-07.py <keyId> <label>, against a bin/latchkey up on port 48082 whose data directory is /tmp/seek/data."""
import http.client, json, sys, time, statistics, base64, urllib.parse
op=open('/tmp/seek/data/operator-token').read().strip()
key=sys.argv[1]; label=sys.argv[2]
c=http.client.HTTPConnection('127.0.0.1',48082)
def get(q):
    t=time.perf_counter()
    c.request('GET','/v1/keys/%s/history?%s'%(key,q),headers={'Authorization':'Bearer '+op})
    r=c.getresponse(); d=json.loads(r.read()); assert r.status==200,(r.status,d); return d,(time.perf_counter()-t)*1000
def med(q,n=11): 
    get(q); return statistics.median(get(q)[1] for _ in range(n))
events=[]; after=None
while True:
    d,_=get('stream=usage&limit=1000'+('&after='+after if after else '')); events+=d['events']; after=d['next']
    if not d['more']: break
n=len(events); out=[label, 'usage events %d'%n]
out.append('first page (all, limit=100) %.1f'%med('limit=100'))
for pos in (1, n//2, n-100):
    cur=base64.urlsafe_b64encode(('usage:k0u%d@%s'%(pos,key)).encode()).decode().rstrip('=')
    out.append('cursor page usage@%d limit=100 %.1f'%(pos, med('stream=usage&limit=100&after='+cur)))
for frac in (0.1,0.5,0.9):
    at=events[int(n*frac)]['timestamp']
    d,_=get('stream=usage&limit=100&from='+urllib.parse.quote(at))
    assert d['events'][0]['timestamp']>=at
    out.append('from=%d%% (all, limit=100) %.1f'%(frac*100, med('limit=100&from='+urllib.parse.quote(at))))
pr=[]
for _ in range(3):
    t=time.perf_counter(); after=None; seen=0
    while seen < n//2:
        d,_=get('stream=usage&limit=1000'+('&after='+after if after else '')); seen+=len(d['events']); after=d['next']
    pr.append((time.perf_counter()-t)*1000)
out.append('paging to 50%% at limit=1000 %.0f'%statistics.median(pr))
print(' | '.join(out), flush=True)
