//! `fermyon:spin/variables@2.0.0` and `wasi:config/store`: the component's variables, resolved on every call
//! as Spin does.

use spin_app::variables::VariableError;

use super::HostState;
use crate::bindings::{config, variables};

impl HostState {
    fn variable(&self, key: &str) -> Result<String, VariableError> {
        self.component.variables.get(&self.component.id, key)
    }
}

impl variables::Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        Ok(self.variable(&name).map_err(|err| match err {
            VariableError::InvalidName(m) => variables::Error::InvalidName(m),
            VariableError::Undefined(m) => variables::Error::Undefined(m),
            VariableError::Provider(m) => variables::Error::Provider(m),
        }))
    }
}

impl config::Host for HostState {
    /// `none` for an unknown or invalid key, as Spin's `wasi:config` does.
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, config::Error>> {
        Ok(match self.variable(&key) {
            Ok(value) => Ok(Some(value)),
            Err(VariableError::Provider(m)) => Err(config::Error::Upstream(m)),
            Err(_) => Ok(None),
        })
    }

    async fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config::Error>> {
        let mut all = Vec::new();
        for key in &self.component.variable_keys {
            match self.variable(key) {
                Ok(value) => all.push((key.clone(), value)),
                Err(err) => return Ok(Err(config::Error::Upstream(err.to_string()))),
            }
        }
        Ok(Ok(all))
    }
}
