//! `--build`: runs each component's `[component.X.build] command` in its workdir, as `spin build` does.

use std::process::Command;

use anyhow::{bail, Context, Result};
use spin_app::App;

pub fn build_all(app: &App) -> Result<()> {
    for component in app.components.values() {
        let Some(build) = &component.build else { continue };
        for command in &build.commands {
            println!("Building component {} with `{command}`", component.id);
            let status = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&build.workdir)
                .status()
                .with_context(|| format!("running the build command of component {}", component.id))?;
            if !status.success() {
                bail!("Build command for component {} failed with status {status}", component.id);
            }
        }
    }
    Ok(())
}
