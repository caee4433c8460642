"""Root pytest configuration: a skipped test is not a passed one."""


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = reporter.stats if reporter else {}
    not_run = [report for key in ("skipped", "xfailed") for report in stats.get(key, [])]
    if not_run and exitstatus == 0:
        reporter.write_line(
            f"FAILED: {len(not_run)} test(s) skipped or xfailed; this project counts a skip "
            "as a failure (install what the skip reason names).",
            red=True,
        )
        session.exitstatus = 1
