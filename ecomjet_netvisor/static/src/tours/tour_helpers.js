import { rpc } from "@web/core/network/rpc";

/** Run the company's Netvisor sender cron now, in the server, as the scheduler would
 * (crons do not run in HttpCase; the page stays open while it runs). */
export async function runSender() {
    const crons = await rpc("/web/dataset/call_kw/ir.cron/search_read", {
        model: "ir.cron",
        method: "search_read",
        args: [[["name", "ilike", "Netvisor: send for"]], ["id"]],
        kwargs: {},
    });
    for (const cron of crons) {
        await rpc("/web/dataset/call_kw/ir.cron/method_direct_trigger", {
            model: "ir.cron",
            method: "method_direct_trigger",
            args: [[cron.id]],
            kwargs: {},
        });
    }
}
