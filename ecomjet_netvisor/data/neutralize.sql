-- a neutralized copy of the database must never send vouchers to the real Netvisor
UPDATE res_company SET netvisor_enabled = false;
