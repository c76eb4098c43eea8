-- Profile: failover
-- Measures: loss and recovery time in gsteer-dataplane while the operator
--   fails one appliance under constant load: 100,000 UDP flows in both
--   directions over 4 appliances at a fixed 50% (below the ceiling, so any
--   loss is the state change's), 10 s steady, then "$GSTEER_CTL
--   $GSTEER_FAIL" (default: set-state app1 unhealthy), 20 s, then
--   "$GSTEER_CTL $GSTEER_RESTORE" (default: set-state app1 healthy), 10 s.
--   For a drain: GSTEER_FAIL="drain app1" GSTEER_RESTORE="undrain app1".
--   pktgen port 1 stands in for all four appliances, so this measures the
--   data plane's own disruption (Maglev rebuild, RCU publish, re-steering
--   of app1's flows); crashes of real appliances are the end-to-end tests'.
-- Ports: tx 0, rx 1
--   pktgen port 0 replays the pcap toward gsteer's port 'up'; pktgen port 1
--   receives what gsteer sends to the appliances (gsteer's port 'app').
-- Lcores: pktgen -l 0-2: lcore 0 CLI and display, lcore 1 port 0, lcore 2
--   port 1 (-m 1.0 -m 2.1).  gsteer: -l 0-1.
-- Rate: 50
-- Pcap: pcaps/failover-100k.pcap
-- Config: pcaps/failover-100k.json
-- Generate: gsteer-pcapgen --out pcaps/failover-100k.pcap --flows 100000 --directions both --size 64 --appliances 4 --config-out pcaps/failover-100k.json --devargs-in 0000:03:00.0 --devargs-out 0000:03:00.1 --dst-mac 02:00:00:00:03:00 --appliance-mac 02:00:00:00:81:01 --control-socket /run/gsteer/dataplane.sock
-- Pktgen: GSTEER_CTL="gsteerctl --socket /run/gsteer/dataplane.sock" pktgen -l 0-2 -n 4 -a 0000:81:00.0 -a 0000:81:00.1 -- -P -m 1.0 -m 2.1 -s 0:pcaps/failover-100k.pcap -f failover.lua
-- Gsteer: gsteer-dataplane --config pcaps/failover-100k.json -l 0-1
-- Read: /tmp/gsteer-failover.csv (or $GSTEER_RESULTS): one line a second,
--   "t,event,tx_pps,rx_pps,opackets,ipackets" (event: the command run just
--   before that second, with its exit status), then "total,opackets,
--   ipackets,lost" 2 s after stop.  Loss = lost packets (opackets of port 0
--   minus ipackets of port 1).  Recovery time: pktgen's counters refresh
--   once a second, so read it two ways: the seconds after the event whose
--   rx_pps stays below tx_pps (1 s resolution), and the time-equivalent
--   lost / (offered pps), which is exact when traffic stops completely and
--   then resumes.  The "gsteer,..." lines ("$GSTEER_CTL show --json")
--   show per-appliance counters before, during and after: after set-state
--   unhealthy app1's must stop growing (its flows rebalance at their next
--   packet); after a drain it keeps its existing flows until the group's
--   deregistration_delay_s (300 s by default) and only new flows avoid it,
--   so with this pcap (no new flows after the first pass) nothing moves.

local TX, RX = "0", "1"
local out = os.getenv("GSTEER_RESULTS") or "/tmp/gsteer-failover.csv"
local ctl = os.getenv("GSTEER_CTL") or "gsteerctl --socket /run/gsteer/dataplane.sock"
local fail_cmd = os.getenv("GSTEER_FAIL") or "set-state app1 unhealthy"
local restore_cmd = os.getenv("GSTEER_RESTORE") or "set-state app1 healthy"
local f = assert(io.open(out, "w"))
local t = 0

local function run(cmd)
	local ok, _, code = os.execute(ctl .. " " .. cmd)
	return string.format("%s=%s", cmd:gsub(",", " "), ok and "0" or tostring(code))
end

local function snapshot()
	local p = io.popen(ctl .. " show --json 2>&1")
	f:write(string.format("gsteer,%d,%s\n", t, (p:read("a") or ""):gsub("\n", " ")))
	p:close()
end

local function sample(seconds, event)
	for _ = 1, seconds do
		pktgen.sleep(1)
		t = t + 1
		local r = pktgen.portStats("0,1", "rate")
		local s = pktgen.portStats("0,1", "port")
		f:write(string.format("%d,%s,%d,%d,%d,%d\n", t, event, r[0].pkts_tx,
			r[1].pkts_rx, s[0].opackets, s[1].ipackets))
		f:flush()
		event = ""
	end
end

pktgen.stop(TX)
pktgen.set("0", "rate", 50)
pktgen.pcap(TX, "on")
pktgen.clr()
pktgen.start(TX)
-- the first pass creates the flows; then counters start from zero
pktgen.sleep(3)
pktgen.clr()

f:write("t,event,tx_pps,rx_pps,opackets,ipackets\n")
snapshot()
sample(10, "steady")
sample(20, run(fail_cmd))
snapshot()
sample(10, run(restore_cmd))
snapshot()

pktgen.stop(TX)
pktgen.sleep(2)
local s = pktgen.portStats("0,1", "port")
f:write(string.format("total,%d,%d,%d\n", s[0].opackets, s[1].ipackets,
	s[0].opackets - s[1].ipackets))
f:close()
