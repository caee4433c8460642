/**
 * The accountant's path through the Netvisor integration, in three parts. Crons do not run
 * in HttpCase: where the accountant watches the sending, a step runs the company's sender
 * cron as the scheduler would (ir.cron's "Run manually") while the page stays open.
 */
import { registry } from "@web/core/registry";
import { runSender } from "./tour_helpers";

const SANDBOX_CUSTOMER_ID = "SANDBOX_A_0001";
const SANDBOX_CUSTOMER_KEY = "a1".repeat(16);
const SANDBOX_BUSINESS_ID = "1234567-1";

const tours = registry.category("web_tour.tours");

/** Select every document of the list and open the close wizard from its Actions menu. */
function openCloseWizard(documents) {
    return [
        {
            content: `Select all ${documents}`,
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the Actions menu",
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Close accounting period (Netvisor)",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Close accounting period (Netvisor))",
            run: "click",
        },
    ];
}

tours.add("ecomjet_netvisor_close_period", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "Open the General Settings",
            trigger: ".settings_tab .tab[data-key='general_settings']",
            run: "click",
        },
        {
            content: "Enable Netvisor",
            trigger: "#netvisor_setting .o_field_boolean[name='netvisor_enabled'] input",
            run: "check",
        },
        {
            content: "Type the API user ID",
            trigger: "#netvisor_setting div[name='netvisor_customer_id'] input",
            run: `edit ${SANDBOX_CUSTOMER_ID}`,
        },
        {
            content: "Type the API key",
            trigger: "#netvisor_setting div[name='netvisor_customer_key'] input",
            run: `edit ${SANDBOX_CUSTOMER_KEY}`,
        },
        {
            content: "Type the business ID",
            trigger: "#netvisor_setting div[name='netvisor_organisation_id'] input",
            run: `edit ${SANDBOX_BUSINESS_ID}`,
        },
        {
            content: "The custom URL (the sandbox) is shown for the custom environment",
            trigger: "#netvisor_setting div[name='netvisor_custom_url'] input:value(/^http:\\/\\/127\\.0\\.0\\.1/)",
        },
        {
            content: "Save the settings",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Settings saved",
            trigger: ".o-settings-form-view:not(:has(.o_dirty_warning))",
        },
        {
            content: "Test the connection",
            trigger: "#netvisor_setting button[name='action_netvisor_test_connection']",
            run: "click",
        },
        {
            content: "Netvisor answered",
            trigger: ".o_notification:contains(Netvisor answered OK)",
        },
        {
            content: "Fetch Netvisor's voucher types",
            trigger: "#netvisor_setting button[name='action_netvisor_fetch_voucher_types']",
            run: "click",
        },
        {
            content: "The voucher types were fetched",
            trigger: ".o_notification:contains(Voucher types fetched from Netvisor)",
        },
        {
            content: "The sales voucher type is chosen among them: the company's class",
            trigger: "#netvisor_setting div[name='netvisor_sale_voucher_type_id'] input:value(Myyntilasku)",
        },
        {
            content: "The purchase voucher type too",
            trigger: "#netvisor_setting div[name='netvisor_purchase_voucher_type_id'] input:value(Ostolasku)",
        },
        {
            content: "The typed names are no longer needed",
            trigger: "#netvisor_setting:not(:has(div[name='netvisor_sale_voucher_class'])):not(:has(div[name='netvisor_purchase_voucher_class']))",
        },
        {
            content: "Look for a sales voucher type",
            trigger: "#netvisor_setting div[name='netvisor_sale_voucher_type_id'] input",
            run: "edit Myynti",
        },
        {
            content: "Netvisor's sales types are offered",
            trigger: ".o-autocomplete--dropdown-menu .o-autocomplete--dropdown-item:contains(Myyntisuoritus)",
        },
        {
            content: "Choose the sales invoice type",
            trigger: ".o-autocomplete--dropdown-menu .o-autocomplete--dropdown-item:contains(Myyntilasku)",
            run: "click",
        },
        {
            content: "Save the voucher types",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Voucher types saved",
            trigger: ".o-settings-form-view:not(:has(.o_dirty_warning)) #netvisor_setting div[name='netvisor_sale_voucher_type_id'] input:value(Myyntilasku)",
        },
        {
            content: "Open the account mapping",
            trigger: "#netvisor_setting button[name='action_netvisor_open_account_map']",
            run: "click",
        },
        {
            content: "Fetch the Netvisor chart of accounts",
            trigger: ".o_list_view button:contains(Fetch Netvisor chart)",
            run: "click",
        },
        {
            content: "Accounts were mapped",
            trigger: ".o_notification:contains(accounts mapped)",
        },
        {
            content: "The mapping list shows the mapped accounts",
            trigger: ".o_list_view .o_data_row td[name='netvisor_account_name']:not(:empty)",
        },
        {
            content: "Look up the sales account 3000",
            trigger: ".o_searchview_input",
            run: "edit 3000",
        },
        {
            content: "Search by the Netvisor account",
            trigger: ".o_searchview_autocomplete .o-dropdown-item:contains(Netvisor account)",
            run: "click",
        },
        {
            content: "Edit its VAT code",
            trigger: ".o_list_view .o_data_row:has(td[name='netvisor_account_number']:contains(3000)) td[name='vat_code']",
            run: "click",
        },
        {
            content: "Open the VAT code choice",
            trigger: ".o_list_view .o_selected_row td[name='vat_code'] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "An income account is offered the sales codes (KOMY) ...",
            trigger: ".o_field_selection_menu .o_select_menu_item:contains(KOMY - Domestic sales)",
        },
        {
            content: "... and not the purchase codes (KOOS)",
            trigger: ".o_field_selection_menu:not(:has(.o_select_menu_item:contains(KOOS)))",
        },
        {
            content: "Close the choice, leaving the row unchanged",
            trigger: ".o_field_selection_menu",
            run: "press Escape",
        },
        {
            content: "The row is left as it was",
            trigger: ".o_list_view:not(:has(.o_field_selection_menu))",
        },
        {
            content: "Look for what would block a close",
            trigger: ".o_list_view button:contains(What blocks a close)",
            run: "click",
        },
        {
            content: "Every account the invoices use is mapped: nothing blocks",
            trigger: ".o_view_nocontent:contains(Nothing to map here)",
        },
        {
            content: "Open the customer invoices",
            trigger: "body",
            run: "goToUrl /odoo/customer-invoices",
            expectUnloadPage: true,
        },
        ...openCloseWizard("invoices"),
        {
            content: "The wizard proposes sales",
            trigger: ".modal div[name='kind'] input:value(Sales)",
        },
        {
            content: "The wizard says which lock date it sets",
            trigger: ".modal .o_field_widget[name='lock_notice']:contains(lock date)",
        },
        {
            content: "Confirm the close",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The closed period opens, its vouchers waiting to be sent",
            trigger: ".o_form_view .o_field_widget[name='voucher_ids'] .o_data_row",
        },
        {
            content: "It says how far the sending is; Resend waits while it runs",
            trigger:
                ".o_form_view:not(:has(button[name='action_resend'])) .o_field_widget[name='progress_text']:contains(0 of 3)",
        },
        {
            content: "The sender runs in the background (its cron)",
            trigger: ".o_form_view .o_field_widget[name='progress_text']",
            run: runSender,
        },
        {
            content: "The form follows without a reload: two sent, one uncertain",
            trigger: ".o_form_view .o_field_widget[name='progress_text']:contains(2 of 3)",
        },
        {
            content: "The uncertain voucher is shown as such",
            trigger: ".o_field_widget[name='voucher_ids'] .o_data_row .badge:contains(Uncertain)",
        },
    ],
});

tours.add("ecomjet_netvisor_resend", {
    url: "/odoo/netvisor-periods",
    steps: () => [
        {
            content: "Open the closed period",
            trigger: ".o_list_view .o_data_row td[name='name']",
            run: "click",
        },
        {
            content: "Some vouchers reached Netvisor",
            trigger: ".o_field_widget[name='voucher_ids'] .o_data_row .badge:contains(Sent)",
        },
        {
            content: "Netvisor failed after storing one voucher: its state is uncertain",
            trigger: ".o_field_widget[name='voucher_ids'] .o_data_row:has(.badge:contains(Uncertain)) td[name='error_message']:not(:empty)",
        },
        {
            content: "Resend what did not surely reach Netvisor",
            trigger: ".o_form_view button[name='action_resend']",
            run: "click",
        },
        {
            content: "The resend is recorded in the chatter",
            trigger: ".o-mail-Message:contains(Resend requested)",
        },
        {
            content: "The sender runs in the background (its cron)",
            trigger: ".o_form_view .o_field_widget[name='progress_text']",
            run: runSender,
        },
        {
            content: "The form follows without a reload: every voucher sent",
            trigger: ".o_form_view .o_field_widget[name='progress_text']:contains(3 of 3)",
        },
        {
            content: "Whoever closed the period is told it is done",
            trigger: ".o_notification:contains(3 of 3)",
        },
        {
            content: "The chatter says the uncertain voucher was found, not sent twice",
            trigger: ".o-mail-Message:contains(Found in Netvisor)",
        },
    ],
});

tours.add("ecomjet_netvisor_all_sent", {
    url: "/odoo/netvisor-periods",
    steps: () => [
        {
            content: "The period is sent",
            trigger: ".o_list_view .o_data_row td[name='state'] .badge:contains(Sent)",
        },
        {
            content: "Open the closed period",
            trigger: ".o_list_view .o_data_row td[name='name']",
            run: "click",
        },
        {
            content: "Every voucher is sent and has its Netvisor key",
            trigger: ".o_field_widget[name='voucher_ids']:not(:has(td[name='netvisor_key']:empty)):not(:has(.badge:not(:contains(Sent))))",
        },
        {
            content: "Resend is no longer offered",
            trigger: ".o_form_view:not(:has(button[name='action_resend']))",
        },
    ],
});

tours.add("ecomjet_netvisor_close_purchases", {
    url: "/odoo/vendor-bills",
    steps: () => [
        ...openCloseWizard("vendor bills"),
        {
            content: "From the bill list the wizard proposes purchases",
            trigger: ".modal div[name='kind'] input:value(Purchases)",
        },
        {
            content: "It sets the purchase lock date",
            trigger: ".modal .o_field_widget[name='lock_notice']:contains(purchases lock date)",
        },
        {
            content: "Confirm the close",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The closed purchase period opens with its vouchers",
            trigger: ".o_form_view:has(.o_field_widget[name='kind']:contains(Purchases)) .o_field_widget[name='voucher_ids'] .o_data_row",
        },
    ],
});

tours.add("ecomjet_netvisor_reopen", {
    url: "/odoo/netvisor-periods",
    steps: () => [
        {
            content: "Open the closed period",
            trigger: ".o_list_view .o_data_row td[name='name']",
            run: "click",
        },
        {
            content: "Reopen it (nothing of it is in Netvisor)",
            trigger: ".o_form_view button[name='action_reopen']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Back in the list of closed periods, which is empty now, without an error",
            trigger:
                "body:not(:has(.o_error_dialog)) .o_action_manager:not(:has(.o_form_view)) .o_list_view .o_view_nocontent, body:not(:has(.o_error_dialog)) .o_action_manager:not(:has(.o_form_view)) .o_list_view:not(:has(.o_data_row))",
        },
        {
            content: "The breadcrumb no longer offers the deleted period",
            trigger: ".o_breadcrumb:not(:has(.breadcrumb-item))",
        },
    ],
});
