"""Check the installed dependencies for known vulnerabilities with pip-audit.

Usage::

    python tools/audit_dependencies.py

Runs ``pip-audit`` on the project's virtual environment (the editable redline
itself skipped) against PyPI's vulnerability records. Exit status 1 if any
installed version has a known vulnerability (each is printed with its fix);
0 otherwise. Packages that could not be looked up (the service unreachable, or
a package unknown to PyPI) are counted and named, so that "nothing found" is
never reported for packages that were not checked; if none could be checked
the script says so plainly and exits 0, as an offline machine cannot audit.
"""

from __future__ import annotations

import json
import subprocess
import sys


def main() -> int:
    """Run pip-audit and summarise; the exit status is 1 on a known vulnerability."""
    process = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off",
         "--format", "json"],
        capture_output=True, text=True, check=False)
    try:
        report = json.loads(process.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed:\n{process.stderr.strip()}", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    print(f"pip-audit: {len(audited)} packages checked, {len(vulnerable)} with known"
          f" vulnerabilities, {len(skipped)} not checked")
    if skipped and not audited:
        print("  the vulnerability service could not be reached from this machine:"
              " nothing was checked", file=sys.stderr)
    elif skipped:
        print("  not checked: " + ", ".join(d["name"] for d in skipped), file=sys.stderr)
    return 1 if vulnerable else 0


if __name__ == "__main__":
    raise SystemExit(main())
