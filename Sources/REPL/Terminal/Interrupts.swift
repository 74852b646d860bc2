#if canImport(Glibc)
import Glibc
#endif
import Ops

/// Ctrl-C handling: the SIGINT handler only sets an atomic flag (`Cancellation`), which the
/// interpreter checks between statements, in loops and between modules.
enum Interrupts {
    /// The process-wide flag the handler sets (immutable reference to an atomic).
    static let flag = Cancellation()

    /// Installs the handler without SA_RESTART, so a blocking read or select returns EINTR
    /// and the line editor can notice Ctrl-C at the prompt.
    static func install(_ cancellation: Cancellation) {
        // A parent (a test runner, a supervisor) may have left SIGINT blocked; threads
        // started later (the interpreter's) inherit this thread's mask.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGHUP)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupts.flag.cancel() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }
}
