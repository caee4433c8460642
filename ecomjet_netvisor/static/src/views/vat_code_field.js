import { registry } from "@web/core/registry";
import { SelectionField, selectionField } from "@web/views/fields/selection/selection_field";

/**
 * The VAT code of an account mapping, offered from the account's side only: a purchase code
 * on an income account (or a sales code on an expense account) would book the VAT on the
 * wrong side of the return. The codes allowed come from the record (``allowed_vat_codes``);
 * the value in place is always kept.
 */
export class NetvisorVatCodeField extends SelectionField {
    get options() {
        const options = super.options;
        const allowed = (this.props.record.data.allowed_vat_codes || "").split(",").filter(Boolean);
        if (!allowed.length) {
            return options;
        }
        const current = this.props.record.data[this.props.name];
        return options.filter(([code]) => allowed.includes(code) || code === current);
    }
}

registry.category("fields").add("netvisor_vat_code", {
    ...selectionField,
    component: NetvisorVatCodeField,
});
