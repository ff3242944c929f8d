//! The ME type table: the one place that maps a type to its ROOT class, PB kind, DQMIO tree and index id.

/// The kind of value a monitor element holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MeType {
    Int,
    Float,
    String,
    TH1F,
    TH1S,
    TH1D,
    TH1I,
    TH2F,
    TH2S,
    TH2D,
    TH2I,
    TH3F,
    TProfile,
    TProfile2D,
}

/// One row of the table in dqm-formats.md §2.
struct Row {
    ty: MeType,
    name: &'static str,
    pb_kind: u32,
    dqmio_tree: &'static str,
    index_id: u16,
    /// TBufferFile class version written by ROOT 6 (DQMIO `Value` entries lack the header; §5.4).
    class_version: u16,
}

const TABLE: [Row; 14] = [
    Row {
        ty: MeType::Int,
        name: "Int",
        pb_kind: 0x01,
        dqmio_tree: "Ints",
        index_id: 0,
        class_version: 0,
    },
    Row {
        ty: MeType::Float,
        name: "Float",
        pb_kind: 0x02,
        dqmio_tree: "Floats",
        index_id: 1,
        class_version: 0,
    },
    Row {
        ty: MeType::String,
        name: "String",
        pb_kind: 0x03,
        dqmio_tree: "Strings",
        index_id: 2,
        class_version: 0,
    },
    Row {
        ty: MeType::TH1F,
        name: "TH1F",
        pb_kind: 0x10,
        dqmio_tree: "TH1Fs",
        index_id: 3,
        class_version: 3,
    },
    Row {
        ty: MeType::TH1S,
        name: "TH1S",
        pb_kind: 0x11,
        dqmio_tree: "TH1Ss",
        index_id: 4,
        class_version: 3,
    },
    Row {
        ty: MeType::TH1D,
        name: "TH1D",
        pb_kind: 0x12,
        dqmio_tree: "TH1Ds",
        index_id: 5,
        class_version: 3,
    },
    Row {
        ty: MeType::TH1I,
        name: "TH1I",
        pb_kind: 0x13,
        dqmio_tree: "TH1Is",
        index_id: 6,
        class_version: 3,
    },
    Row {
        ty: MeType::TH2F,
        name: "TH2F",
        pb_kind: 0x20,
        dqmio_tree: "TH2Fs",
        index_id: 7,
        class_version: 4,
    },
    Row {
        ty: MeType::TH2S,
        name: "TH2S",
        pb_kind: 0x21,
        dqmio_tree: "TH2Ss",
        index_id: 8,
        class_version: 4,
    },
    Row {
        ty: MeType::TH2D,
        name: "TH2D",
        pb_kind: 0x22,
        dqmio_tree: "TH2Ds",
        index_id: 9,
        class_version: 4,
    },
    Row {
        ty: MeType::TH2I,
        name: "TH2I",
        pb_kind: 0x23,
        dqmio_tree: "TH2Is",
        index_id: 10,
        class_version: 4,
    },
    Row {
        ty: MeType::TH3F,
        name: "TH3F",
        pb_kind: 0x30,
        dqmio_tree: "TH3Fs",
        index_id: 11,
        class_version: 4,
    },
    Row {
        ty: MeType::TProfile,
        name: "TProfile",
        pb_kind: 0x40,
        dqmio_tree: "TProfiles",
        index_id: 12,
        class_version: 7,
    },
    Row {
        ty: MeType::TProfile2D,
        name: "TProfile2D",
        pb_kind: 0x41,
        dqmio_tree: "TProfile2Ds",
        index_id: 13,
        class_version: 8,
    },
];

/// DQMIO `Type` index → tree name, per file variant (§5.2). `None` marks an index the variant lacks.
const DQMIO_CLASSIC: &[&str] = &[
    "Ints",
    "Floats",
    "Strings",
    "TH1Fs",
    "TH1Ss",
    "TH1Ds",
    "TH2Fs",
    "TH2Ss",
    "TH2Ds",
    "TH3Fs",
    "TProfiles",
    "TProfile2Ds",
];
const DQMIO_MAINLINE: &[&str] = &[
    "Ints",
    "Floats",
    "Strings",
    "TH1Fs",
    "TH1Ss",
    "TH1Ds",
    "TH2Fs",
    "TH2Ss",
    "TH2Ds",
    "TH3Fs",
    "TProfiles",
    "TProfile2Ds",
    "TH1Is",
    "TH2Is",
];
const DQMIO_WITH_TH2POLY: &[&str] = &[
    "Ints",
    "Floats",
    "Strings",
    "TH1Fs",
    "TH1Ss",
    "TH1Ds",
    "TH2Fs",
    "TH2Ss",
    "TH2Ds",
    "TH2Polys",
    "TH3Fs",
    "TProfiles",
    "TProfile2Ds",
    "TH1Is",
    "TH2Is",
];

/// Which DQMIO type-index table a file uses, detected from the trees it contains (§5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DqmioVariant {
    Classic,
    Mainline,
    WithTh2Poly,
}

impl DqmioVariant {
    /// Detects the variant from the names of the file's top-level trees.
    pub fn detect<'a>(mut tree_names: impl Iterator<Item = &'a str> + Clone) -> Self {
        if tree_names.clone().any(|n| n == "TH2Polys") {
            DqmioVariant::WithTh2Poly
        } else if tree_names.any(|n| n == "TH1Is" || n == "TH2Is") {
            DqmioVariant::Mainline
        } else {
            DqmioVariant::Classic
        }
    }

    /// The tree names indexed by DQMIO `Type`.
    pub fn tree_names(self) -> &'static [&'static str] {
        match self {
            DqmioVariant::Classic => DQMIO_CLASSIC,
            DqmioVariant::Mainline => DQMIO_MAINLINE,
            DqmioVariant::WithTh2Poly => DQMIO_WITH_TH2POLY,
        }
    }

    /// The tree that holds DQMIO type index `index`, if this variant has one.
    pub fn tree_for_index(self, index: u32) -> Option<&'static str> {
        self.tree_names().get(index as usize).copied()
    }
}

impl MeType {
    pub const ALL: [MeType; 14] = [
        MeType::Int,
        MeType::Float,
        MeType::String,
        MeType::TH1F,
        MeType::TH1S,
        MeType::TH1D,
        MeType::TH1I,
        MeType::TH2F,
        MeType::TH2S,
        MeType::TH2D,
        MeType::TH2I,
        MeType::TH3F,
        MeType::TProfile,
        MeType::TProfile2D,
    ];

    fn row(self) -> &'static Row {
        // TABLE is in the same order as ALL, so the discriminant is the row index.
        &TABLE[self as usize]
    }

    /// The type's name: `Int`, `Float`, `String`, or the ROOT class name.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// Parses a name produced by [`MeType::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.ty)
    }

    /// The histogram type whose ROOT class is `class` (scalars have no class of their own).
    pub fn from_class(class: &str) -> Option<Self> {
        Self::from_name(class).filter(|t| t.is_histogram())
    }

    /// The type of a ROOTFilePB `flags & 0xff` kind.
    pub fn from_pb_kind(kind: u32) -> Option<Self> {
        TABLE.iter().find(|r| r.pb_kind == kind).map(|r| r.ty)
    }

    pub fn pb_kind(self) -> u32 {
        self.row().pb_kind
    }

    /// The type stored in the DQMIO tree `tree` (e.g. `TH1Fs`).
    pub fn from_dqmio_tree(tree: &str) -> Option<Self> {
        TABLE.iter().find(|r| r.dqmio_tree == tree).map(|r| r.ty)
    }

    pub fn dqmio_tree(self) -> &'static str {
        self.row().dqmio_tree
    }

    /// The original dqmgui index type id (dqmgui-api.md §3.2).
    pub fn index_id(self) -> u16 {
        self.row().index_id
    }

    /// The class version ROOT 6 streams for this histogram class (0 for scalars).
    pub fn class_version(self) -> u16 {
        self.row().class_version
    }

    pub fn is_scalar(self) -> bool {
        matches!(self, MeType::Int | MeType::Float | MeType::String)
    }

    pub fn is_histogram(self) -> bool {
        !self.is_scalar()
    }
}

impl std::fmt::Display for MeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_discriminants() {
        for (i, ty) in MeType::ALL.iter().enumerate() {
            assert_eq!(TABLE[i].ty, *ty);
            assert_eq!(MeType::from_name(ty.name()), Some(*ty));
            assert_eq!(MeType::from_pb_kind(ty.pb_kind()), Some(*ty));
            assert_eq!(MeType::from_dqmio_tree(ty.dqmio_tree()), Some(*ty));
        }
    }

    #[test]
    fn classes_exclude_scalars() {
        assert_eq!(MeType::from_class("TProfile2D"), Some(MeType::TProfile2D));
        assert_eq!(MeType::from_class("Int"), None);
        assert_eq!(MeType::from_class("TH2Poly"), None);
    }

    #[test]
    fn dqmio_variants() {
        let b = ["Indices", "Ints", "TH1Is", "TH2Is"];
        assert_eq!(
            DqmioVariant::detect(b.iter().copied()),
            DqmioVariant::Mainline
        );
        assert_eq!(
            DqmioVariant::detect(["Ints", "TH1Fs"].iter().copied()),
            DqmioVariant::Classic
        );
        let c = ["TH2Polys", "TH1Is"];
        let v = DqmioVariant::detect(c.iter().copied());
        assert_eq!(v, DqmioVariant::WithTh2Poly);
        assert_eq!(v.tree_for_index(10), Some("TH3Fs"));
        assert_eq!(DqmioVariant::Mainline.tree_for_index(12), Some("TH1Is"));
        assert_eq!(DqmioVariant::Classic.tree_for_index(12), None);
    }
}
