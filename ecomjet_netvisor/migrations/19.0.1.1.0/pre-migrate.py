"""One state field instead of state + lookup_needed + retry_requested (issue 7).

A voucher whose last request may have reached Netvisor becomes ``uncertain``: the sender
looks it up in Netvisor's ledger before anything is sent again.
"""


def migrate(cr, version):
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'netvisor_voucher' AND column_name = 'lookup_needed'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        UPDATE netvisor_voucher
           SET state = 'uncertain'
         WHERE state IN ('pending', 'sending', 'failed') AND lookup_needed
        """
    )
