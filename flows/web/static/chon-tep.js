// The file picker in Vietnamese: a label styled as a button ("Chọn tệp…") opens the hidden
// <input type=file>; the chosen file's name is written next to it (data-ten-tep).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input || input.type !== "file") {
    return;
  }
  var box = input.closest(".chon-tep");
  var name = box && box.querySelector("[data-ten-tep]");
  if (name) {
    var files = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    name.textContent = files.length ? files.join(", ") : "Chưa chọn tệp nào";
  }
});
