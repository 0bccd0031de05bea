"""adamlab.data stands below networks, optimizers and training."""

import subprocess
import sys


def test_data_imports_no_higher_layer():
    code = (
        "import sys, adamlab.data; "
        "print(sorted(m for m in sys.modules if m.startswith('adamlab.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    for layer in ("adamlab.nn", "adamlab.optim", "adamlab.train", "adamlab.cli"):
        assert f"'{layer}" not in out
