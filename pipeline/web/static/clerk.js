// Drop a workbook anywhere on the form, or choose one: it is checked at once.
// Without this script the file input and the button do the same.
(function () {
  var form = document.getElementById("upload");
  var input = document.getElementById("file");
  if (!form || !input) { return; }
  input.addEventListener("change", function () { if (input.files.length) { form.submit(); } });
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("over"); });
  });
  form.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      form.submit();
    }
  });
})();
