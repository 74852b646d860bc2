// ZeroMQ (libzmq 4.3, Debian libzmq3-dev) for the notebook kernel's sockets.
// Only Sources/Notebook/Sockets.swift imports this module.
#include <zmq.h>
