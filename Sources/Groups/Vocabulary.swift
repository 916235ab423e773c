/// The controlled lists a group's answers come from. Values are snake_case and stable: clients
/// store them; labels are for people.
public enum Vocabulary {
    public struct Term: Sendable {
        public let value: String
        public let label: String
    }

    public static let kinds: [Term] = [
        Term(value: "charity", label: "Charity"),
        Term(value: "community_group", label: "Community group"),
        Term(value: "faith_group", label: "Faith group"),
        Term(value: "mutual_aid_group", label: "Mutual-aid group"),
        Term(value: "tenants_association", label: "Tenants' or residents' association"),
        Term(value: "social_enterprise", label: "Social enterprise"),
        Term(value: "network", label: "Network of groups"),
        Term(value: "school", label: "School or college"),
        Term(value: "business", label: "Business"),
        Term(value: "public_service", label: "Public service"),
        Term(value: "other", label: "Other"),
    ]

    public static let activities: [Term] = [
        Term(value: "food", label: "Food"),
        Term(value: "english_language", label: "English language (ESOL)"),
        Term(value: "youth", label: "Youth"),
        Term(value: "older_people", label: "Older people"),
        Term(value: "health_and_wellbeing", label: "Health and wellbeing"),
        Term(value: "mental_health", label: "Mental health"),
        Term(value: "arts_and_culture", label: "Arts and culture"),
        Term(value: "sport", label: "Sport"),
        Term(value: "employment", label: "Employment"),
        Term(value: "advice", label: "Advice"),
        Term(value: "befriending", label: "Befriending"),
        Term(value: "family", label: "Family"),
        Term(value: "education", label: "Education"),
        Term(value: "environment", label: "Environment and litter picking"),
        Term(value: "faith", label: "Faith"),
        Term(value: "housing", label: "Housing"),
        Term(value: "digital_inclusion", label: "Digital inclusion"),
        Term(value: "domestic_abuse", label: "Domestic abuse"),
        Term(value: "crisis_response", label: "Crisis response"),
        Term(value: "other", label: "Other"),
    ]

    public static let beneficiaries: [Term] = [
        Term(value: "everyone", label: "Everyone"),
        Term(value: "new_arrivals", label: "New arrivals"),
        Term(value: "refugees", label: "Refugees and asylum seekers"),
        Term(value: "bame_women", label: "BAME women"),
        Term(value: "women", label: "Women"),
        Term(value: "men", label: "Men"),
        Term(value: "children", label: "Children"),
        Term(value: "young_people", label: "Young people"),
        Term(value: "older_people", label: "Older people"),
        Term(value: "families", label: "Families"),
        Term(value: "disabled_people", label: "Disabled people"),
        Term(value: "carers", label: "Carers"),
        Term(value: "isolated_people", label: "Isolated people"),
        Term(value: "people_on_low_incomes", label: "People on low incomes"),
        Term(value: "lgbtq", label: "LGBTQ+ people"),
    ]

    /// What help a group needs from the council.
    public static let needs: [Term] = [
        Term(value: "funding", label: "Funding"),
        Term(value: "premises", label: "Premises or space"),
        Term(value: "volunteers", label: "Volunteers"),
        Term(value: "training", label: "Training"),
        Term(value: "dbs_checks", label: "DBS checks"),
        Term(value: "publicity", label: "Publicity"),
        Term(value: "networking", label: "Networking"),
        Term(value: "charity_setup", label: "Help to set up a charity"),
        Term(value: "bank_account", label: "Help to open a bank account"),
    ]

    /// What support a group can offer other groups.
    public static let offers: [Term] = [
        Term(value: "space", label: "Space"),
        Term(value: "volunteers", label: "Volunteers"),
        Term(value: "food", label: "Food"),
        Term(value: "goods", label: "Goods and donations"),
        Term(value: "teaching", label: "Teaching"),
        Term(value: "english_practice", label: "English practice"),
        Term(value: "translation", label: "Translation"),
        Term(value: "equipment", label: "Equipment"),
        Term(value: "crisis_response", label: "Crisis response"),
    ]

    /// Which offers meet which needs (for mutual-support matching).
    public static let needMetBy: [String: Set<String>] = [
        "premises": ["space"],
        "volunteers": ["volunteers"],
        "training": ["teaching"],
        "funding": [],
        "dbs_checks": [],
        "publicity": [],
        "networking": [],
        "charity_setup": [],
        "bank_account": [],
    ]

    public static let scales = ["street", "neighbourhood", "town_area", "borough_wide"]
    public static let statuses = ["pending", "verified", "inactive", "closed", "merged"]
    public static let sources = ["survey", "partner", "officer", "import"]

    public static func values(_ terms: [Term]) -> [String] { terms.map(\.value) }

    /// Languages as ISO 639-1 or 639-3 codes (`en`, `pl`, `ur`, `ti`, `prs`).
    public static func isLanguageCode(_ text: String) -> Bool {
        (2...3).contains(text.utf8.count) && text.utf8.allSatisfy { (97...122).contains($0) }
    }
}
