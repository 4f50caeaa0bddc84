"""Encrypted transport for the notebook kernels that ``jupyter-book build`` starts.

ipykernel 7.4 logs, from every kernel started over TCP without CurveZMQ keys::

    [IPKernelApp] WARNING | Kernel is running over TCP without encryption. ...

jupyter_client (8.9 and later) can provision those keys itself: with
``KernelManager.transport_encryption = "auto"`` it makes a CurveZMQ key pair for each
kernel whose kernelspec declares support (ipykernel's does:
``"metadata": {"supported_encryption": ["curve"]}``) and passes it in the connection
file, so the kernel's sockets stay on TCP but are encrypted and authenticated.

A Jupyter server reads that setting from its config file; ``jupyter-book build``
reads none: myst-nb and jupyter-cache execute notebooks through nbclient as a
library, with no configuration and no hook for one, so this extension changes the
setting's default in the build process instead. It does nothing where the setting
does not exist (jupyter_client < 8.9) or libzmq lacks CurveZMQ, and "auto" leaves a
kernel whose kernelspec does not declare support on plain TCP (with its warning)
rather than fail. tools/nbtools.py and the repository's conftest.py (for the
kernels that nbval starts) call enable_transport_encryption() too.
"""

from __future__ import annotations


def enable_transport_encryption() -> bool:
    """Make ``"auto"`` the default ``KernelManager.transport_encryption`` in this process.

    Returns whether it did.
    """
    try:
        import zmq
        from jupyter_client.manager import KernelManager
    except ImportError:
        return False
    trait = KernelManager.class_traits().get("transport_encryption")
    if trait is None or not zmq.has("curve"):
        return False
    # One trait object serves KernelManager and its subclasses (AsyncKernelManager,
    # which nbclient uses); its default is read each time a manager is created.
    trait.default_value = "auto"
    return True


def setup(app) -> dict:
    enable_transport_encryption()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
