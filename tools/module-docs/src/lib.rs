//! Module documentation from HCL: reads the `variable` and `output` blocks of a Terraform
//! module's `.tf` files (with `hcl-rs`) and renders a Registry-style Markdown page with an
//! inputs table (type, default, description, validation rules) and an outputs table.

mod error;
mod model;
mod render;

pub use error::DocsError;
pub use model::{Module, Output, Variable};
pub use render::{render_module, GENERATED_MARKER};

use std::path::{Path, PathBuf};

/// Every module under `modules_dir`: each subdirectory holding `.tf` files, by name.
pub fn read_modules(modules_dir: &Path) -> Result<Vec<Module>, DocsError> {
    let mut dirs: Vec<PathBuf> = read_dir(modules_dir)?
        .into_iter()
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    let mut modules = Vec::new();
    for dir in dirs {
        if let Some(module) = Module::read(&dir)? {
            modules.push(module);
        }
    }
    Ok(modules)
}

/// Writes `<out_dir>/<module>.md` for every module and removes pages this tool wrote for
/// modules that no longer exist; returns the paths written.
pub fn write_docs(modules_dir: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DocsError::Write { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(write_error(out_dir))?;
    let mut written = Vec::new();
    for module in read_modules(modules_dir)? {
        let path = out_dir.join(format!("{}.md", module.name));
        std::fs::write(&path, render_module(&module)).map_err(write_error(&path))?;
        written.push(path);
    }
    for page in read_dir(out_dir)? {
        if !written.contains(&page) && is_generated_page(&page) {
            std::fs::remove_file(&page).map_err(write_error(&page))?;
        }
    }
    Ok(written)
}

/// A page this tool wrote (its first line is the generated-file marker).
fn is_generated_page(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
        && std::fs::read_to_string(path).is_ok_and(|text| text.starts_with(GENERATED_MARKER))
}

pub(crate) fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let read_error = |source| DocsError::Read {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|entry| entry.map(|e| e.path()).map_err(read_error))
        .collect()
}
