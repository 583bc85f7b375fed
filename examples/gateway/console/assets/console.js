// rdwh console: the few things a page cannot do without script. No framework, no outside assets.
"use strict";

// Copy buttons: <button class="copy" data-copy="ID"> copies the value of the input ID.
function copyField(button) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const done = (text) => { button.textContent = text; setTimeout(() => { button.textContent = "Copy"; }, 2000); };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(() => done("Copied"), () => done("Press Ctrl+C"));
  } else {
    done(document.execCommand && document.execCommand("copy") ? "Copied" : "Press Ctrl+C");
  }
}

// A new row or action from a <template>: "__N__" in names becomes a number not used yet.
let nextRule = 1000;
function instantiate(template, rule) {
  const html = template.innerHTML.replace(/__N__/g, String(rule));
  const holder = document.createElement(template.dataset.wrap || "tbody");
  holder.innerHTML = html;
  return holder.firstElementChild;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.classList.contains("copy")) {
    copyField(button);
  } else if (button.classList.contains("add-row")) {
    const rule = button.closest("fieldset.rule");
    const template = rule.querySelector("template." + button.dataset.kind + "-row");
    rule.querySelector("table." + button.dataset.kind + " tbody").appendChild(instantiate(template, rule.dataset.rule));
  } else if (button.classList.contains("remove-row")) {
    button.closest("tr").remove();
  } else if (button.id === "add-rule") {
    const template = document.getElementById("rule-template");
    document.getElementById("rules").appendChild(instantiate(template, nextRule++));
  } else if (button.classList.contains("remove-rule")) {
    button.closest("fieldset.rule").remove();
  } else {
    return;
  }
  if (button.type === "button") event.preventDefault();
});

// Confirmations for buttons that change things for good: data-confirm="question".
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// Buttons that repeat in every action (Remove, Add option...) get accessible names naming their
// action and row, so a screen reader (or a test) tells them apart; kept up to date as actions
// and rows come and go or are renamed.
function labelRules() {
  document.querySelectorAll("fieldset.rule").forEach((rule, i) => {
    const nameField = rule.querySelector(".rule-name");
    const name = "action " + (i + 1) + (nameField && nameField.value ? " \"" + nameField.value + "\"" : "");
    const label = (selector, text) => rule.querySelectorAll(selector).forEach((el, k) => el.setAttribute("aria-label", text(k + 1)));
    label(".remove-rule", () => "Remove " + name);
    label("input[name$='.enabled']", () => "Enable " + name);
    label(".add-row[data-kind=opt]", () => "Add an option to " + name);
    label(".add-row[data-kind=cond]", () => "Add a condition to " + name);
    label("table.opt .remove-row", (k) => "Remove option " + k + " of " + name);
    label("table.cond .remove-row", (k) => "Remove condition " + k + " of " + name);
  });
}
document.addEventListener("DOMContentLoaded", labelRules);
document.addEventListener("click", () => setTimeout(labelRules, 0));
document.addEventListener("input", (event) => { if (event.target.classList.contains("rule-name")) labelRules(); });
