"""pytest set-up for the whole repository (unit tests and nbval alike).

The kernels that nbval starts inherit this process's environment. With
SSLBOOK_PROGRESS=0 they draw no progress bar, whose timings would differ from
the stored outputs on every run (see sslbook/train.py).
"""

import os

os.environ["SSLBOOK_PROGRESS"] = "0"
