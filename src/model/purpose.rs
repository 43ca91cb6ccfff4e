//! Purposes of random streams: what each addressed stream is for.

/// What a stream is for. The numeric values are part of the determinism
/// contract: never renumber, only add.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Purpose {
    /// Times between new families' first referrals (entity 0, occasion = arrival index).
    Arrivals = 1,
    /// A new family's attributes (entity = family id, occasion 0).
    FamilyAttributes = 2,
    /// How long the front door takes to decide (entity = family, occasion = episode).
    TriageTiming = 3,
    /// The front door's decision (entity = family, occasion = episode).
    TriageDecision = 4,
    /// Durations of a spell of family help (entity = family, occasion = episode).
    FamilyHelpDurations = 5,
    /// What the family help assessment finds (entity = family, occasion = episode).
    Assessment = 6,
    /// How family help ends (entity = family, occasion = episode).
    HelpOutcome = 7,
    /// Whether and when a closed case is referred again (entity = family, occasion = episode).
    ReReferral = 8,
    /// A section 47 enquiry: its length and whether a conference follows (entity = family, occasion = episode).
    Enquiry = 9,
    /// The initial conference: when, and whether it makes a plan (entity = family, occasion = episode).
    Conference = 10,
    /// A child protection plan: its length and how it ends (entity = family, occasion = episode).
    Plan = 11,
    /// Care: emergency entry, placement, time in care and exit (entity = family, occasion = episode).
    Care = 12,
    /// Family group decision-making and support packages (entity = family,
    /// occasion = episode x 4 + offer point: 0 at a plan's start, 1 before
    /// proceedings, 2 at a family help assessment).
    FamilyNetwork = 13,
    /// A permanent worker's candidate leaving times and their acceptance
    /// (entity = pool << 32 | worker, occasion = candidate number).
    StaffTurnover = 14,
    /// A recruitment: time to hire and agency cover (entity = pool << 32 | vacancy, occasion 0).
    Recruitment = 15,
    /// An apprentice: qualifies or not (entity = pool << 32 | apprentice, occasion 0).
    Apprentice = 16,
    /// A family open when the run starts: the time left in its stage
    /// (entity = family, occasion 0).
    StartingCaseload = 17,
    /// A family waiting for family help: when it would escalate or
    /// disengage, and a risk rise after needs went unmet (entity = family,
    /// occasion = episode).
    Escalation = 18,
    /// Pre-proceedings and care proceedings: their lengths, whether
    /// proceedings are issued, removal at issue, and the final order
    /// (entity = family, occasion = episode).
    Proceedings = 19,
    /// Times between unaccompanied asylum-seeking children's arrivals
    /// (entity 0, occasion = arrival index).
    UnaccompaniedArrivals = 20,
    /// An unaccompanied child's age (entity = family, occasion 0).
    Unaccompanied = 21,
    /// Section 20 accommodation from family help or a plan (entity =
    /// family, occasion = episode).
    Voluntary = 22,
    /// Placement moves: the time to the next breakdown (entity = family,
    /// occasion = episode << 16 | move number).
    Placement = 23,
    /// In-house foster places approved and lost at a month's end (entity 0,
    /// occasion = the day of the run).
    FosterCarers = 24,
    /// A young person leaving care at 18: staying put or close and for how
    /// long, mentoring, a lasting relationship (entity = family, occasion =
    /// episode << 8 | children still under 18 in care).
    LeavingCare = 25,
    /// A child's sex, ethnicity and disability (entity = family, occasion
    /// 0 for the family's ethnicity, 1 + k for child k's sex and disability).
    Demographics = 26,
}

impl From<Purpose> for u8 {
    #[inline]
    fn from(p: Purpose) -> u8 {
        p as u8
    }
}

#[cfg(test)]
mod tests {
    use super::Purpose::*;

    /// The codes are part of every stream's address: a renumbered purpose
    /// silently changes every run. Only ever add to this list.
    #[test]
    fn purposes_keep_their_codes() {
        let codes: Vec<u8> = [
            Arrivals,
            FamilyAttributes,
            TriageTiming,
            TriageDecision,
            FamilyHelpDurations,
            Assessment,
            HelpOutcome,
            ReReferral,
            Enquiry,
            Conference,
            Plan,
            Care,
            FamilyNetwork,
            StaffTurnover,
            Recruitment,
            Apprentice,
            StartingCaseload,
            Escalation,
            Proceedings,
            UnaccompaniedArrivals,
            Unaccompanied,
            Voluntary,
            Placement,
            FosterCarers,
            LeavingCare,
            Demographics,
        ]
        .into_iter()
        .map(u8::from)
        .collect();
        assert_eq!(codes, (1..=26).collect::<Vec<u8>>());
    }
}
