/// Where a case stands (cases.status).
public enum CaseStatus: String, CaseIterable, Sendable {
    case open, inReview = "in_review", escalated, closed
}
