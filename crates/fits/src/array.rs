/// The three dtypes the DQM store keeps (FITS integers of any width become `int64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    Float64,
    Int64,
    Bool,
}

impl Dtype {
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Float64 => "float64",
            Dtype::Int64 => "int64",
            Dtype::Bool => "bool",
        }
    }

    pub fn from_name(name: &str) -> Option<Dtype> {
        [Dtype::Float64, Dtype::Int64, Dtype::Bool]
            .into_iter()
            .find(|d| d.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Float64(Vec<f64>),
    Int64(Vec<i64>),
    Bool(Vec<bool>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Float64(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> Dtype {
        match self {
            Values::Float64(_) => Dtype::Float64,
            Values::Int64(_) => Dtype::Int64,
            Values::Bool(_) => Dtype::Bool,
        }
    }

    /// Element `i` as a float (bool as 0/1), for statistics and JSON.
    pub fn f64_at(&self, i: usize) -> Option<f64> {
        match self {
            Values::Float64(v) => v.get(i).copied(),
            Values::Int64(v) => v.get(i).map(|&x| x as f64),
            Values::Bool(v) => v.get(i).map(|&b| f64::from(u8::from(b))),
        }
    }
}

/// An n-dimensional array in C order; `shape` multiplies to `values.len()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub values: Values,
}

impl Array {
    pub fn dtype(&self) -> Dtype {
        self.values.dtype()
    }

    /// Every element as a float (bool as 0/1).
    pub fn to_f64(&self) -> Vec<f64> {
        match &self.values {
            Values::Float64(v) => v.clone(),
            Values::Int64(v) => v.iter().map(|&x| x as f64).collect(),
            Values::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
        }
    }
}
