// Progressive enhancement only: the form works without this script.
// Each answer is kept on the server as soon as it is given, so a reload or a sleeping tablet loses
// nothing; the same form is posted with action=save, and the page stays as it is.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autosave]");
  if (!form) return;
  form.addEventListener("change", () => {
    const data = new FormData(form);
    data.set("action", "save");
    // getAttribute: the form has a button named "action", which hides the form.action property
    fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin"}).catch(() => {});
  });
});
