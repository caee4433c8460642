/**
 * The month in Finnish (tests/test_tour_fi.py), as a Finnish accountant sees it: the lock in
 * Netvisor shown before Confirm, the sending followed live, the completion notification,
 * and an uncertain voucher found in Netvisor, not sent twice. Each screen's text is kept
 * (in an ir.config_parameter) for the Python test, which checks it for the addon's English.
 */
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { runSender } from "./tour_helpers";

const tours = registry.category("web_tour.tours");

/** Keep the visible text of the page under ``key`` for the Python test. */
async function keepText(key) {
    await rpc("/web/dataset/call_kw/ir.config_parameter/set_param", {
        model: "ir.config_parameter",
        method: "set_param",
        args: [`ecomjet_netvisor.tour_text.${key}`, document.body.innerText],
        kwargs: {},
    });
}

function openWizardFi() {
    return [
        {
            content: "Valitse kaikki laskut",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Toiminnot-valikko",
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Sulje kirjanpitokausi (Netvisor)",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Sulje kirjanpitokausi (Netvisor))",
            run: "click",
        },
    ];
}

tours.add("ecomjet_netvisor_fi_locked", {
    url: "/odoo/customer-invoices",
    steps: () => [
        ...openWizardFi(),
        {
            content: "The lock in Netvisor shows inline before Confirm, in Ecom Jet's words",
            trigger: ".modal .o_field_widget[name='problems']:contains(Laskujen lähetys Netvisoriin epäonnistui.):contains(Mitään ei lähetetty)",
        },
        {
            content: "Confirm is not offered while the lock blocks",
            trigger: ".modal:not(:has(button[name='action_confirm'])) .o_field_widget[name='scope_notice']",
            run: () => keepText("wizard_locked"),
        },
        {
            content: "Cancel",
            trigger: ".modal footer button.btn-secondary",
            run: "click",
        },
        {
            content: "Back in the invoice list",
            trigger: ".o_list_view:not(:has(.modal))",
        },
    ],
});

tours.add("ecomjet_netvisor_fi_month", {
    url: "/odoo/customer-invoices",
    steps: () => [
        ...openWizardFi(),
        {
            content: "Nothing blocks now: Confirm is offered",
            trigger: ".modal button[name='action_confirm']",
            run: () => keepText("wizard_open"),
        },
        {
            content: "Confirm",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The period opens: nothing sent yet",
            trigger: ".o_form_view .o_field_widget[name='progress_text']:contains(0/3)",
        },
        {
            content: "The sender runs in the background (its cron)",
            trigger: ".o_form_view .o_field_widget[name='progress_text']",
            run: runSender,
        },
        {
            content: "The form follows without a reload: 2 of 3, one uncertain",
            trigger: ".o_form_view .o_field_widget[name='progress_text']:contains(2/3)",
        },
        {
            content: "The uncertain voucher says what happens next",
            trigger: ".o_field_widget[name='voucher_ids'] .o_data_row .badge:contains(Epävarma)",
            run: () => keepText("period_uncertain"),
        },
        {
            content: "Resend",
            trigger: ".o_form_view button[name='action_resend']",
            run: "click",
        },
        {
            content: "The sender runs again",
            trigger: ".o-mail-Message:contains(Uudelleenlähetystä pyysi)",
            run: runSender,
        },
        {
            content: "Every voucher sent, without a reload",
            trigger: ".o_form_view .o_field_widget[name='progress_text']:contains(3/3)",
        },
        {
            content: "The closer is told it is done",
            trigger: ".o_notification:contains(3/3)",
        },
        {
            content: "The uncertain voucher was found in Netvisor, not sent twice",
            trigger: ".o-mail-Message:contains(Löytyi Netvisorista)",
            run: () => keepText("period_sent"),
        },
        {
            content: "Open the first voucher",
            trigger: ".o_field_widget[name='voucher_ids'] .o_data_row td[name='move_name']",
            run: "click",
        },
        {
            content: "Its state is explained in Finnish",
            trigger: ".o_field_widget[name='state_help']:contains(Netvisorissa)",
            run: () => keepText("voucher"),
        },
    ],
});
