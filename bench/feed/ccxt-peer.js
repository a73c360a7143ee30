// ccxt-peer.js: the reference peer: ccxt pro's watchTrades / watchOrderBook
// pointed at ts-sim, counting what it delivers and the CPU it spends.
//   node ccxt-peer.js EXCHANGE PORT SYMBOL trades|book SECONDS [SLOW_MS]
// SLOW_MS makes it a slow consumer: it sleeps that long after each update.
// Prints one JSON line. Needs `npm install ccxt` in bench/feed (not committed).
'use strict';
const ccxt = require('ccxt');

const [exName, port, symbol, kind, durS, slowMs] = process.argv.slice(2);
const slow = Number(slowMs || 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const base = `127.0.0.1:${port}`;
const [b, q] = symbol.split('-');

async function main() {
    const ex = new ccxt.pro[exName]({ enableRateLimit: false });
    if (exName === 'binance') {
        for (const k of ['spot', 'margin'])
            ex.urls.api.ws[k] = `ws://${base}/ws`;
        ex.urls.api.public = `http://${base}/api/v3`;
        ex.setMarkets([{
            id: b + q, lowercaseId: (b + q).toLowerCase(), symbol: `${b}/${q}`, base: b, quote: q,
            baseId: b, quoteId: q, active: true, type: 'spot', spot: true, margin: false,
            swap: false, future: false, option: false, contract: false,
            precision: { price: 0.01, amount: 0.00001 }, limits: {}, info: {},
        }]);
    } else if (exName === 'kraken') {
        // websocket v2 for public data, as ccxt pro's kraken uses it
        ex.urls.api.ws.publicV2 = `ws://${base}/v2`;
        ex.setMarkets([{
            id: b + q, symbol: `${b}/${q}`, base: b, quote: q, baseId: b, quoteId: q,
            active: true, type: 'spot', spot: true, margin: false, swap: false, future: false,
            option: false, contract: false, precision: { price: 0.01, amount: 0.00000001 },
            limits: {}, info: { wsname: `${b}/${q}`, altname: b + q },
        }]);
    } else {
        ex.urls.api.ws = `ws://${base}`;
        ex.setMarkets([{
            id: symbol, symbol: `${b}/${q}`, base: b, quote: q, baseId: b, quoteId: q,
            active: true, type: 'spot', spot: true, margin: false, swap: false, future: false,
            option: false, contract: false, precision: { price: 0.01, amount: 0.00000001 },
            limits: {}, info: {},
        }]);
    }
    if (typeof ex.loadHttpProxyAgent === 'function')
        await ex.loadHttpProxyAgent();
    const sym = `${b}/${q}`;
    // every websocket message ccxt handles, whatever it makes of it
    let wsMessages = 0;
    const handle = ex.handleMessage.bind(ex);
    ex.handleMessage = (client, message) => { wsMessages++; return handle(client, message); };
    const seen = new Set();
    let updates = 0, items = 0, first = null, last = null, errors = 0;
    const t0 = Date.now(), c0 = process.cpuUsage();
    const end = t0 + Number(durS) * 1000;
    while (Date.now() < end) {
        try {
            if (kind === 'trades') {
                const trades = await ex.watchTrades(sym);
                updates++;
                for (const t of trades) {
                    items++;
                    const id = Number(t.id);
                    seen.add(id);
                    if (first === null || id < first) first = id;
                    if (last === null || id > last) last = id;
                }
            } else {
                const ob = await ex.watchOrderBook(sym);
                updates++;
                items += ob.bids.length > 0 ? 1 : 0;
                if (ob.nonce !== undefined) {
                    if (first === null) first = ob.nonce;
                    last = ob.nonce;
                }
            }
            if (slow)
                await sleep(slow);
        } catch (e) {
            errors++;
            if (errors > 50) { console.error(String(e)); break; }
        }
    }
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({
        peer: 'ccxt', version: ccxt.version, ex: exName, sym: symbol, kind, ws_messages: wsMessages,
        updates, items,
        unique: seen.size, first_id: first, last_id: last, errors,
        wall_s: (Date.now() - t0) / 1000, cpu_s: (c.user + c.system) / 1e6,
    }));
    await ex.close();
    process.exit(0);
}
main().catch((e) => { console.error(String(e)); process.exit(111); });
