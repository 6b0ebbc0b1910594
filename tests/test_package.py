"""The library stands without the app."""

import subprocess
import sys


def test_import_ala_does_not_import_streamlit():
    code = "import sys, ala; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
