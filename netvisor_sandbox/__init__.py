"""A local fake of Visma Netvisor's XML web service, faithful to shared/netvisor/API.md.

Run with `python3 -m netvisor_sandbox`; see README.md.
"""
