//! The §3 value of one run: `{EXTNAME: {child: array}}`, in HDU order.

use fits::{Array, Hdu, HduData};

#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub name: String,
    pub array: Array,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    pub name: String,
    pub children: Vec<Child>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunData {
    pub parents: Vec<Parent>,
    /// What was skipped while building it (logged by the ingest).
    pub warnings: Vec<String>,
}

impl RunData {
    /// Builds the map from a FITS file's HDUs: BINTABLE → one child per column, IMAGE → one child named
    /// after the EXTNAME. HDU 0 counts when it carries data and an EXTNAME (§8 decision); other
    /// XTENSIONs and undecodable columns are skipped with a warning. A repeated EXTNAME replaces the
    /// earlier one, as assigning into the original's dict did.
    pub fn from_hdus(hdus: Vec<Hdu>) -> RunData {
        let mut run = RunData::default();
        for hdu in hdus {
            let Some(name) = hdu.extname.clone().filter(|n| !n.is_empty()) else {
                if hdu.index > 0 || hdu.data != HduData::Empty {
                    run.warnings
                        .push(format!("HDU {} has no EXTNAME: skipped", hdu.index));
                }
                continue;
            };
            let children = match hdu.data {
                HduData::Empty if hdu.index == 0 => continue,
                HduData::Empty => Vec::new(),
                HduData::Image(array) => vec![Child {
                    name: name.clone(),
                    array,
                }],
                HduData::Table { columns, skipped } => {
                    for column in skipped {
                        run.warnings.push(format!(
                            "{name}: column {column:?} has a type that is not stored: skipped"
                        ));
                    }
                    let mut children: Vec<Child> = Vec::new();
                    for column in columns {
                        children.retain(|c| c.name != column.name);
                        children.push(Child {
                            name: column.name,
                            array: column.array,
                        });
                    }
                    children
                }
                HduData::Other { xtension } => {
                    run.warnings.push(format!(
                        "HDU {} ({name}): XTENSION {xtension} is not read: skipped",
                        hdu.index
                    ));
                    continue;
                }
            };
            run.parents.retain(|p| p.name != name);
            run.parents.push(Parent { name, children });
        }
        run
    }

    pub fn parent(&self, name: &str) -> Option<&Parent> {
        self.parents.iter().find(|p| p.name == name)
    }

    pub fn child(&self, parent: &str, child: &str) -> Option<&Array> {
        self.parent(parent)?
            .children
            .iter()
            .find(|c| c.name == child)
            .map(|c| &c.array)
    }
}
