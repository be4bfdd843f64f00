"""Jupyter server settings for students of the course (installed into the environment).

Kernels talk to the server over TCP; with CurveZMQ keys that the server hands
each kernel ("auto": where the kernel says it can use them, as ipykernel does)
the traffic is encrypted, and no kernel warns at every start that it runs
"over TCP without encryption". Where pyzmq was built without CurveZMQ (its
wheels for Linux have it), kernels keep the plain transport, and the warning.
"""

import zmq

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

if zmq.has("curve"):
    c.KernelManager.transport_encryption = "auto"
