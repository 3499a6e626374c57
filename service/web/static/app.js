// Progressive enhancement only: every form works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    const form = select.form;
    form.classList.add("autosubmit");
    select.addEventListener("change", () => form.submit());
  }
});
