"""Plain-Python connector for Visma Netvisor's XML web service (never imports odoo)."""

from . import errors, vat
from .client import Credentials, NetvisorClient, compute_mac
from .responses import (
    Account,
    AccountBalance,
    AccountList,
    AttachmentInfo,
    DeletedVoucher,
    Dimension,
    DimensionItem,
    LedgerLine,
    LedgerVoucher,
    Period,
    PeriodInfo,
    VoucherType,
    VoucherTypeList,
)
from .vouchers import (
    Voucher,
    VoucherAttachment,
    VoucherBody,
    VoucherLine,
    build_voucher_body,
    build_voucher_xml,
    validate_voucher,
)

__all__ = [
    "Account",
    "AccountBalance",
    "AccountList",
    "AttachmentInfo",
    "Credentials",
    "DeletedVoucher",
    "Dimension",
    "DimensionItem",
    "LedgerLine",
    "LedgerVoucher",
    "NetvisorClient",
    "Period",
    "PeriodInfo",
    "Voucher",
    "VoucherAttachment",
    "VoucherBody",
    "VoucherLine",
    "VoucherType",
    "VoucherTypeList",
    "build_voucher_body",
    "build_voucher_xml",
    "compute_mac",
    "errors",
    "validate_voucher",
    "vat",
]
