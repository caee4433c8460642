-- a neutralized copy of the database must never send vouchers to the real Netvisor: the
-- integration is switched off, the company's own API keys are cleared (the partner keys
-- may also come from odoo.conf) and the sender refuses until an API key is entered again
UPDATE res_company
   SET netvisor_enabled = false,
       netvisor_customer_key = NULL,
       netvisor_partner_key = NULL,
       netvisor_neutralized = true;
