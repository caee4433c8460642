import { Component, onWillDestroy, xml } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * Keeps a closed period's form up to date while its vouchers are sent: the sender
 * reports each batch on the bus ("ecomjet_netvisor/progress" to whoever closed the
 * period) and the form reloads its record, so "x of N" moves without a page reload.
 * A report sent while the form was still opening would be missed: while the period is
 * being sent, the form also reloads every few seconds.
 */
const POLL_MS = 4000;
export class NetvisorPeriodLive extends Component {
    static props = standardWidgetProps;
    static template = xml`<span class="d-none o_netvisor_period_live"/>`;

    setup() {
        const bus = useService("bus_service");
        const onProgress = (payload) => {
            const record = this.props.record;
            if (record.resId && payload.period_ids?.includes(record.resId) && !record.dirty) {
                record.load();
            }
        };
        bus.subscribe("ecomjet_netvisor/progress", onProgress);
        const poll = browser.setInterval(() => {
            const record = this.props.record;
            if (record.resId && record.data.sending_now && !record.dirty) {
                record.load();
            }
        }, POLL_MS);
        onWillDestroy(() => {
            bus.unsubscribe("ecomjet_netvisor/progress", onProgress);
            browser.clearInterval(poll);
        });
    }
}

registry.category("view_widgets").add("netvisor_period_live", { component: NetvisorPeriodLive });
