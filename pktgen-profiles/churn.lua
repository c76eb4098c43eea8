-- Profile: churn
-- Measures: flow-table inserts under load: 4,000,000 UDP flows of one
--   packet each, replayed in a loop with gsteer's idle timeout at 1 s, so
--   once the first pass has filled the table every flow has idled out
--   before its next packet comes round, and (nearly) every packet is a new
--   flow: a miss, a Maglev pick and an insert, while aging deletes as fast.
--   The new-flow rate is the offered packet rate; the figure is the highest
--   rate at which gsteer forwards everything.  60 s, one sample a second.
-- Ports: tx 0, rx 1
--   pktgen port 0 replays the pcap toward gsteer's port 'up'; pktgen port 1
--   receives what gsteer sends to the appliances (gsteer's port 'app').
-- Lcores: pktgen -l 0-2: lcore 0 CLI and display, lcore 1 port 0, lcore 2
--   port 1 (-m 1.0 -m 2.1).  gsteer: -l 0-1 (main lcore ages the table,
--   lcore 1 the worker inserts).
-- Rate: 40
--   40% of a 10 Gbit/s port: pktgen 24.07.1 paces pcap replay as if every
--   frame were 256 bytes, about 1.8 Mpps, so one pass of 4,000,000 packets
--   takes about 2.2 s, more than the 1 s idle timeout.  On faster ports
--   lower the rate so that 4,000,000 / pps stays above 2 s (25G: 16%).
-- Pcap: pcaps/churn-4m.pcap
-- Config: pcaps/churn-4m.json
-- Generate: gsteer-pcapgen --out pcaps/churn-4m.pcap --flows 4000000 --size 64 --idle-timeout 1 --config-out pcaps/churn-4m.json --devargs-in 0000:03:00.0 --devargs-out 0000:03:00.1 --dst-mac 02:00:00:00:03:00 --appliance-mac 02:00:00:00:81:01 --control-socket /run/gsteer/dataplane.sock
-- Pktgen: pktgen -l 0-2 -n 4 -a 0000:81:00.0 -a 0000:81:00.1 -- -P -m 1.0 -m 2.1 -s 0:pcaps/churn-4m.pcap -f churn.lua
-- Gsteer: gsteer-dataplane --config pcaps/churn-4m.json -l 0-1
-- Read: /tmp/gsteer-churn.csv (or $GSTEER_RESULTS): one line a second,
--   "t,tx_pps,rx_pps", then "total,opackets,ipackets,imissed" 2 s after
--   stop.  With $GSTEER_CTL set (e.g. "ssh gsteer-host gsteerctl"), the
--   output of "$GSTEER_CTL show --json" is appended after each sample: the
--   new-flow rate is the per-second growth of gsteer's flows_created
--   counter (also in the control socket's show_stats), which must be close
--   to tx_pps once the first pass is over.  If it is not, aging did not
--   keep up (flows were still there: hits, not inserts): lower the rate.
--   Loss (opackets - ipackets, and gsteer's flow_table_full drops) above 0
--   means the insert rate is past what gsteer sustains.

local TX, RX = "0", "1"
local SECONDS = 60
local out = os.getenv("GSTEER_RESULTS") or "/tmp/gsteer-churn.csv"
local ctl = os.getenv("GSTEER_CTL")
local f = assert(io.open(out, "w"))

local function gsteer_snapshot(t)
	if not ctl then
		return
	end
	local p = io.popen(ctl .. " show --json 2>&1")
	f:write(string.format("gsteer,%d,%s\n", t, (p:read("a") or ""):gsub("\n", " ")))
	p:close()
end

pktgen.stop(TX)
pktgen.set("0", "rate", 40)
pktgen.pcap(TX, "on")
pktgen.clr()
pktgen.start(TX)

f:write("t,tx_pps,rx_pps\n")
for t = 1, SECONDS do
	pktgen.sleep(1)
	local r = pktgen.portStats("0,1", "rate")
	f:write(string.format("%d,%d,%d\n", t, r[0].pkts_tx, r[1].pkts_rx))
	gsteer_snapshot(t)
	f:flush()
end

pktgen.stop(TX)
pktgen.sleep(2)
local s = pktgen.portStats("0,1", "port")
f:write(string.format("total,%d,%d,%d\n", s[0].opackets, s[1].ipackets, s[1].imissed))
gsteer_snapshot(SECONDS + 2)
f:close()
