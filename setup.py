"""Packages the plain-Python parts (the Netvisor connector and the local sandbox) so that
they can be pip-installed beside an Odoo that loads the addon from elsewhere.

The Odoo addon itself is installed the Odoo way: put `ecomjet_netvisor/` on the addons path.
"""

from setuptools import setup

setup(
    name="ecomjet-netvisor",
    version="19.0.1.0.0",
    description="Netvisor connector and local Netvisor sandbox of the ecomjet_netvisor addon",
    license="LGPL-3",
    python_requires=">=3.10",
    packages=["ecomjet_netvisor.netvisor", "netvisor_sandbox"],
    package_data={"netvisor_sandbox": ["README.md"]},
    install_requires=["requests>=2.25", "lxml>=4.8"],
    entry_points={"console_scripts": ["netvisor-sandbox=netvisor_sandbox.__main__:main"]},
)
