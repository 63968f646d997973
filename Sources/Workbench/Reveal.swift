import RiskStore
import TerminalKit

// PII reveals in the workbench (issue 15, item 10): e-mail and phone stay masked — in the
// account view, the SQL console grid and inspector, `:export` and the queue filter — until
// an analyst reveals them with a reason. `r` on an account asks for the reason on the
// command line (`reveal REASON`); in the SQL console `:reveal REASON` unmasks the session.
// Each reveal is an audit row (who, when, which account or "SQL console session", why),
// written before anything is shown. A read-only session writes nothing, so it can't reveal.
extension AppState {
    /// `r` on an account: hide again, or ask for the reason.
    mutating func askToReveal(_ a: inout AccountScreen) {
        if a.revealed { a.revealed = false; say("PII hidden"); return }
        if readOnly { say("read-only session: a PII reveal is audited, which writes; it is off", error: true); return }
        mode = .command(TextField("reveal "))
        completions = []
        say("why reveal \(a.id)'s e-mail and phone? Type the reason (it goes into the audit trail); Enter reveals, Esc cancels")
    }

    /// `:reveal REASON`: the account in view, or the SQL console session.
    mutating func reveal(reason: String) -> [Effect] {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if readOnly { say("read-only session: a PII reveal is audited, which writes; it is off", error: true); return [] }
        guard !why.isEmpty else { say(":reveal REASON — a reveal needs a reason; it goes into the audit trail", error: true); return [] }
        switch top {
        case .account(let a):
            say("revealing…")
            return [.write(.revealPII(account: a.id, reason: why))]
        case .sql:
            say("revealing…")
            return [.console(.reveal(reason: why))]
        default:
            say(":reveal works on an account (r) or in the SQL console", error: true)
            return []
        }
    }

    /// The audit row is written: show what was revealed.
    mutating func applyRevealed(account: String?, message: String) {
        if let account {
            for i in stack.indices {
                if case .account(var a) = stack[i], a.id == account { a.revealed = true; stack[i] = .account(a) }
            }
        } else {
            for i in stack.indices {
                if case .sql(var q) = stack[i] { q.piiRevealed = true; stack[i] = .sql(q) }
            }
        }
        say(message)
    }
}
