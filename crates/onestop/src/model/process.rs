//! Process definitions (quy trình nội bộ): the steps a dossier of a procedure goes through,
//! who does each, where, for how long, and where each outcome leads. Stored as JSON data,
//! versioned, validated before use; a running dossier keeps the version it started with.

use std::collections::{BTreeMap, BTreeSet};

use kernel::Violations;
use kernel::authz::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Working minutes in a standard working day (8 hours), for adding up mixed durations.
pub const DAY_MINUTES: u32 = 480;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StepDuration {
    pub value: f64,
    /// `working_days` or `working_hours`.
    pub unit: DurationUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    WorkingDays,
    WorkingHours,
}

impl StepDuration {
    pub fn days(v: f64) -> Self {
        StepDuration { value: v, unit: DurationUnit::WorkingDays }
    }

    pub fn hours(v: f64) -> Self {
        StepDuration { value: v, unit: DurationUnit::WorkingHours }
    }

    /// Working minutes, counting a working day as 8 hours.
    pub fn minutes(&self) -> u32 {
        let m = match self.unit {
            DurationUnit::WorkingDays => self.value * DAY_MINUTES as f64,
            DurationUnit::WorkingHours => self.value * 60.0,
        };
        m.max(0.0).round() as u32
    }
}

/// Where a step's task goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "code")]
pub enum StepAgency {
    /// The agency that received the dossier.
    Receiving,
    /// A named agency (by its QĐ 20 code).
    Agency(String),
    /// The People's Committee of the applicant's commune.
    ApplicantCommune,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Work by one role (thụ lý, thẩm định, xem xét...).
    Task,
    /// A leader approves and signs; outcomes `approved` / `rejected`.
    Approval,
    /// Other agencies are consulted in parallel (liên thông), each with its share of the time;
    /// the step ends when every one has answered.
    Consult,
    /// Fees are due: the dossier waits (status 6) until payment is recorded.
    Payment,
    /// The result is returned to the applicant; the end of the process.
    Return,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    /// Short id, unique in the definition (`process`, `review`...).
    pub id: String,
    pub name: String,
    pub kind: StepKind,
    /// The role that does it (for `consult`: the role at each consulted agency).
    #[schema(value_type = String)]
    pub role: Role,
    pub agency: StepAgency,
    /// For `consult`: the agencies consulted (QĐ 20 codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agencies: Vec<String>,
    pub duration: StepDuration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    pub from: String,
    /// `done`, `approved`, `rejected`, `returned`... chosen by the officer completing the step.
    pub outcome: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProcessDefinition {
    /// The first step after acceptance.
    pub start: String,
    pub steps: Vec<Step>,
    pub transitions: Vec<Transition>,
}

impl ProcessDefinition {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Where `outcome` of step `from` leads.
    pub fn next(&self, from: &str, outcome: &str) -> Option<&Step> {
        self.transitions.iter().find(|t| t.from == from && t.outcome == outcome).and_then(|t| self.step(&t.to))
    }

    /// The outcomes an officer may choose at `step`.
    pub fn outcomes(&self, step: &str) -> Vec<&str> {
        self.transitions.iter().filter(|t| t.from == step).map(|t| t.outcome.as_str()).collect()
    }

    /// The step before `step` on the main path (for "return to the previous step").
    pub fn previous(&self, step: &str) -> Option<&Step> {
        let order = self.forward_order();
        let i = order.iter().position(|s| s == step)?;
        i.checked_sub(1).and_then(|j| self.step(&order[j]))
    }

    /// Steps in the order a dossier meets them when every step goes forward.
    pub fn forward_order(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut order = Vec::new();
        let mut stack = vec![self.start.clone()];
        while let Some(s) = stack.pop() {
            if !seen.insert(s.clone()) {
                continue;
            }
            order.push(s.clone());
            for t in self.transitions.iter().filter(|t| t.from == s).rev() {
                if !seen.contains(&t.to) {
                    stack.push(t.to.clone());
                }
            }
        }
        order
    }

    /// The longest forward path, in working minutes: what the steps add up to at most.
    pub fn longest_minutes(&self) -> u32 {
        fn walk(d: &ProcessDefinition, at: &str, on_path: &mut Vec<String>, memo: &mut BTreeMap<String, u32>) -> u32 {
            if let Some(m) = memo.get(at) {
                return *m;
            }
            let own = d.step(at).map(|s| s.duration.minutes()).unwrap_or(0);
            on_path.push(at.to_owned());
            let mut best = 0;
            for t in d.transitions.iter().filter(|t| t.from == at) {
                // A way back (returned for rework) is not part of the planned time.
                if on_path.contains(&t.to) {
                    continue;
                }
                best = best.max(walk(d, &t.to, on_path, memo));
            }
            on_path.pop();
            memo.insert(at.to_owned(), own + best);
            own + best
        }
        walk(self, &self.start, &mut Vec::new(), &mut BTreeMap::new())
    }

    /// Checks the definition against the procedure's legal time (in working minutes): ids
    /// unique, every transition between existing steps, every step reachable from the start,
    /// a `return` step reachable and final, consultations naming agencies, durations positive
    /// and adding up to at most the legal time. Every problem is reported.
    pub fn validate(&self, legal_minutes: u32) -> Result<(), Violations> {
        let mut v = Violations::new();
        let mut ids = BTreeSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            if s.id.trim().is_empty() || !s.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                v.add(format!("steps[{i}].id"), "chữ, số, _ hoặc - (letters, digits, _ or -)");
            }
            if !ids.insert(s.id.as_str()) {
                v.add(format!("steps[{i}].id"), format!("bước «{}» trùng (duplicate step id)", s.id));
            }
            if s.name.trim().is_empty() {
                v.add(format!("steps[{i}].name"), "bắt buộc (required)");
            }
            if s.duration.value.is_nan() || s.duration.value <= 0.0 || s.duration.value > 3650.0 {
                v.add(format!("steps[{i}].duration"), "thời gian phải lớn hơn 0 (must be more than zero)");
            }
            if s.kind == StepKind::Consult && s.agencies.is_empty() {
                v.add(format!("steps[{i}].agencies"), "cần ít nhất một cơ quan phối hợp (at least one agency to consult)");
            }
            if s.kind != StepKind::Consult && !s.agencies.is_empty() {
                v.add(format!("steps[{i}].agencies"), "chỉ dùng cho bước liên thông (only for consultation steps)");
            }
            if s.kind == StepKind::Approval && !matches!(s.role, Role::AgencyLeader | Role::DepartmentHead) {
                v.add(format!("steps[{i}].role"), "bước phê duyệt cần lãnh đạo (approval needs a leader)");
            }
            if s.kind == StepKind::Return && self.transitions.iter().any(|t| t.from == s.id) {
                v.add(format!("steps[{i}]"), "bước trả kết quả là bước cuối (the return step is the last one)");
            }
            if s.kind != StepKind::Return && !self.transitions.iter().any(|t| t.from == s.id) {
                v.add(format!("steps[{i}]"), format!("bước «{}» không dẫn tới đâu (step leads nowhere)", s.id));
            }
        }
        if self.step(&self.start).is_none() {
            v.add("start", format!("không có bước «{}» (no such step)", self.start));
        }
        let mut seen_pairs = BTreeSet::new();
        for (i, t) in self.transitions.iter().enumerate() {
            if self.step(&t.from).is_none() {
                v.add(format!("transitions[{i}].from"), format!("không có bước «{}» (no such step)", t.from));
            }
            if self.step(&t.to).is_none() {
                v.add(format!("transitions[{i}].to"), format!("không có bước «{}» (no such step)", t.to));
            }
            if t.outcome.trim().is_empty() {
                v.add(format!("transitions[{i}].outcome"), "bắt buộc (required)");
            }
            if !seen_pairs.insert((t.from.as_str(), t.outcome.as_str())) {
                v.add(format!("transitions[{i}]"), "một kết quả chỉ dẫn tới một bước (one outcome, one next step)");
            }
        }
        if !v.is_empty() {
            return Err(v);
        }
        let reachable: BTreeSet<String> = self.forward_order().into_iter().collect();
        for (i, s) in self.steps.iter().enumerate() {
            if !reachable.contains(&s.id) {
                v.add(format!("steps[{i}]"), format!("không đi tới được bước «{}» từ bước đầu (unreachable)", s.id));
            }
        }
        if !self.steps.iter().any(|s| s.kind == StepKind::Return && reachable.contains(&s.id)) {
            v.add("steps", "cần một bước trả kết quả đi tới được (a reachable return step is required)");
        }
        let total = self.longest_minutes();
        if total > legal_minutes {
            v.add(
                "steps",
                format!(
                    "tổng thời gian các bước {} giờ vượt thời hạn giải quyết {} giờ (steps add up to more than the legal time)",
                    total as f64 / 60.0,
                    legal_minutes as f64 / 60.0
                ),
            );
        }
        if v.is_empty() { Ok(()) } else { Err(v) }
    }

    /// The usual one-stop path for a procedure with `legal_minutes` of processing time, shared
    /// out: reception hands over (4 % of the time), the specialist processes (56 %), the head
    /// of department reviews (16 %), the leader approves (12 %), the clerk numbers and stamps
    /// (8 %), reception returns (4 %). Reviews and approval can send the work back.
    pub fn standard(legal_minutes: u32, fees: bool) -> ProcessDefinition {
        let part = |p: f64| StepDuration::hours(((legal_minutes as f64 * p) / 60.0 * 100.0).floor() / 100.0);
        let step = |id: &str, name: &str, kind: StepKind, role: Role, p: f64| Step {
            id: id.into(),
            name: name.into(),
            kind,
            role,
            agency: StepAgency::Receiving,
            agencies: vec![],
            duration: part(p),
        };
        let mut steps = vec![
            step("process", "Thụ lý, thẩm định hồ sơ", StepKind::Task, Role::Specialist, 0.56),
            step("review", "Lãnh đạo phòng xem xét", StepKind::Task, Role::DepartmentHead, 0.16),
            step("approve", "Lãnh đạo cơ quan phê duyệt, ký", StepKind::Approval, Role::AgencyLeader, 0.12),
            step("number", "Văn thư vào số, đóng dấu", StepKind::Task, Role::Clerk, 0.08),
        ];
        let t = |from: &str, outcome: &str, to: &str| Transition { from: from.into(), outcome: outcome.into(), to: to.into() };
        let mut transitions = vec![
            t("process", "done", "review"),
            t("review", "done", "approve"),
            t("review", "returned", "process"),
            t("approve", "approved", "number"),
            t("approve", "rejected", "review"),
        ];
        if fees {
            steps.push(step("pay", "Thu phí, lệ phí", StepKind::Payment, Role::Cashier, 0.04));
            transitions.push(t("number", "done", "pay"));
            transitions.push(t("pay", "paid", "return"));
        } else {
            transitions.push(t("number", "done", "return"));
        }
        steps.push(step("return", "Trả kết quả", StepKind::Return, Role::ReceptionOfficer, 0.04));
        ProcessDefinition { start: "process".into(), steps, transitions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: f64) -> u32 {
        (n * DAY_MINUTES as f64) as u32
    }

    #[test]
    fn the_standard_process_is_valid_and_fits_the_legal_time() {
        for (legal, fees) in [(days(5.0), false), (days(15.0), true), (240, false)] {
            let d = ProcessDefinition::standard(legal, fees);
            d.validate(legal).unwrap_or_else(|v| panic!("{:?}", v.0));
            assert!(d.longest_minutes() <= legal);
        }
        let d = ProcessDefinition::standard(days(5.0), false);
        assert_eq!(d.next("review", "returned").unwrap().id, "process");
        assert_eq!(d.previous("approve").unwrap().id, "review");
        assert_eq!(d.outcomes("approve"), vec!["approved", "rejected"]);
    }

    #[test]
    fn steps_adding_up_to_more_than_the_legal_time_are_refused() {
        let mut d = ProcessDefinition::standard(days(5.0), false);
        d.steps[0].duration = StepDuration::days(5.0);
        let v = d.validate(days(5.0)).unwrap_err();
        assert!(v.0.iter().any(|e| e.field == "steps" && e.message.contains("vượt")), "{:?}", v.0);
    }

    #[test]
    fn unreachable_steps_unknown_targets_and_dead_ends_are_each_reported() {
        let mut d = ProcessDefinition::standard(days(10.0), false);
        d.steps.push(Step {
            id: "orphan".into(),
            name: "Bước thừa".into(),
            kind: StepKind::Task,
            role: Role::Specialist,
            agency: StepAgency::Receiving,
            agencies: vec![],
            duration: StepDuration::hours(1.0),
        });
        d.transitions.push(Transition { from: "orphan".into(), outcome: "done".into(), to: "return".into() });
        let v = d.validate(days(10.0)).unwrap_err();
        assert!(v.0.iter().any(|e| e.message.contains("unreachable")), "{:?}", v.0);

        let mut d = ProcessDefinition::standard(days(10.0), false);
        d.transitions.push(Transition { from: "process".into(), outcome: "skip".into(), to: "nowhere".into() });
        d.transitions.retain(|t| t.from != "number");
        let v = d.validate(days(10.0)).unwrap_err();
        let fields: Vec<&str> = v.0.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"transitions[5].to") || fields.iter().any(|f| f.ends_with(".to")), "{fields:?}");
        assert!(v.0.iter().any(|e| e.message.contains("leads nowhere")), "{:?}", v.0);
    }

    #[test]
    fn a_consultation_needs_agencies_and_approval_needs_a_leader() {
        let mut d = ProcessDefinition::standard(days(10.0), false);
        d.steps[0].kind = StepKind::Consult;
        d.steps[2].role = Role::Clerk;
        let v = d.validate(days(10.0)).unwrap_err();
        assert!(v.0.iter().any(|e| e.field == "steps[0].agencies"));
        assert!(v.0.iter().any(|e| e.field == "steps[2].role"));
    }

    #[test]
    fn rework_loops_do_not_count_twice_in_the_planned_time() {
        let d = ProcessDefinition::standard(days(10.0), false);
        let sum: u32 = d.steps.iter().map(|s| s.duration.minutes()).sum();
        assert_eq!(d.longest_minutes(), sum);
    }
}
