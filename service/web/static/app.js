// Progressive enhancement only: every form works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits itself when a language is picked.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    const form = select.form;
    form.classList.add("autosubmit");
    select.addEventListener("change", () => form.submit());
  }

  // Irreversible actions say what will happen and ask first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // After a refused submit, put the cursor in the first field that needs fixing.
  const invalid = document.querySelector('.field [aria-invalid="true"], fieldset[aria-invalid="true"] textarea');
  if (invalid) invalid.focus();

  // Never lose what the admin typed: leaving a changed form (a link, the language switcher,
  // closing the tab) asks first; submitting the form itself does not.
  let unsaved = false;
  for (const form of document.querySelectorAll("form[data-keep-input]")) {
    if (form.querySelector('[aria-invalid="true"]')) unsaved = true; // a refused submit holds typed text
    form.addEventListener("input", () => { unsaved = true; });
    form.addEventListener("submit", () => { unsaved = false; });
  }
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) event.preventDefault();
  });
});
