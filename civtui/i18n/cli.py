"""The command line's words and the roster importer's problems, in Chinese and English.

An importer problem with code `c` is said by `import.c` and put right by `import.c.fix`;
both are formatted with the problem's parameters, already rendered in the same language.
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "profile.bad_name": (
        "档案名“{name}”只能包含字母、数字、下划线和连字符",
        "A profile name takes letters, digits, _ and - only, not “{name}”",
    ),
    # what every command shares
    "cli.error": ("错误：", "Error: "),
    "cli.bad_today": (
        "--today “{value}”不是有效日期；请按 2026-03-05 的格式填写",
        "--today {value!r} is not a date; write it as 2026-03-05",
    ),
    "cli.no_profile": (
        "档案“{name}”不存在；请先运行 civtui init 或 civtui demo",
        "there is no profile {name!r}; run civtui init or civtui demo first",
    ),
    "cli.bad_profile_name": (
        "档案名“{name}”只能包含字母、数字、下划线和连字符",
        "a profile name ({name!r}) may hold only letters, digits, _ and -",
    ),
    "cli.profile_exists": (
        "档案“{name}”已存在（{path}）；如确需重建，请加 --force（旧文件会改名保留）",
        "profile {name!r} already exists ({path}); add --force to rebuild it (the old file "
        "is kept under another name)",
    ),
    "cli.bad_month": (
        "--month “{value}”格式不对；请按 2026-03 或 2026年3月 的格式填写年月",
        "--month {value!r} is not a month; write it as 2026-03",
    ),
    "cli.early_month": (
        "--month “{value}”太早：只能查询 {earliest} 以后的月份（近五年）",
        "--month {value!r} is too early: only months from {earliest} on (five years) are kept",
    ),
    # init, demo, status
    "cli.moved_aside": ("旧档案已改名保留：{path}", "The old profile was kept as {path}"),
    "cli.created": (
        "已创建档案“{name}”：{path}（已设为当前档案）",
        "Created profile {name!r}: {path} (now the current profile)",
    ),
    "cli.demo_running": ("正在生成演示数据…", "Generating the demo data…"),
    "cli.status.profile": ("档案", "Profile"),
    "cli.status.villages": ("村(社区)", "Villages"),
    "cli.status.none": ("无", "none"),
    "cli.status.record": ("记录", "Record"),
    "cli.status.count": ("数量", "Count"),
    "cli.status.pending": ("待同步修改", "Changes to sync"),
    "cli.status.last_sync": ("上次同步", "Last sync"),
    "cli.status.never": ("从未同步", "never"),
    # import
    "cli.template_xlsx": (
        "模板只能是 .xlsx 文件；请用 .xlsx 结尾的文件名",
        "the template is an .xlsx file; give a file name ending in .xlsx",
    ),
    "cli.template_done": ("已生成模板：{path}", "Template written: {path}"),
    "cli.template_exists": (
        "{path} 已存在，没有覆盖；请用 -o 指定另一个文件名",
        "{path} already exists and was not overwritten; name another file with -o",
    ),
    "cli.col.row": ("行", "Row"),
    "cli.col.column": ("列", "Column"),
    "cli.col.value": ("值", "Value"),
    "cli.col.problem": ("问题", "Problem"),
    "cli.col.fix": ("修改方法", "How to fix"),
    "cli.checking": ("检查", "Checking"),
    "cli.writing": ("写入", "Writing"),
    "cli.bad_rows": ("有 {n} 行需要修改", "{n} row(s) need fixing"),
    "cli.dry_bad_rows": (
        "试运行检查：有 {n} 行需要修改（未写入任何数据）",
        "Dry run: {n} row(s) would need fixing (nothing written)",
    ),
    "cli.warnings": ("请核对（仍会导入）", "Please check (these are imported)"),
    "cli.skipped": ("已登记，跳过", "Already registered, skipped"),
    "cli.skipped_more": (
        "……另有 {n} 行已登记，未逐行列出（加 --json 可列出全部）",
        "… {n} more rows already registered, not listed one by one (--json lists them all)",
    ),
    "cli.sheet_notes": ("表格说明", "About the sheet"),
    "cli.blocked": (
        "{n} 行有错误，本次没有导入任何一行。请修改后重新导入，或加 --skip-invalid 先导入正确的行",
        "{n} row(s) have errors, so no row was imported. Fix them and import again, or add "
        "--skip-invalid to import the good rows now",
    ),
    "cli.dry_blocked": (
        "试运行结束：{n} 行有错误，正式导入时会被拒绝（本次未写入任何数据）。"
        "请修改后再试，或正式导入时加 --skip-invalid",
        "Dry run done: {n} row(s) have errors and a real import would be refused (nothing was "
        "written). Fix them and try again, or add --skip-invalid to the real import",
    ),
    "cli.dry_ok": (
        "试运行通过（未写入任何数据）：共 {rows} 行，将新增 {new}，更新 {updated}，"
        "跳过已登记 {skipped}",
        "Dry run passed (nothing written): {rows} rows; would add {new}, update {updated}, "
        "skip {skipped} already registered",
    ),
    "cli.imported": (
        "导入完成：共 {rows} 行，新增 {new}，更新 {updated}，跳过已登记 {skipped}，错误 {bad}",
        "Import done: {rows} rows, {new} added, {updated} updated, {skipped} already "
        "registered skipped, {bad} with errors",
    ),
    "cli.rejects_saved": ("错误行已另存：{path}", "Rows with errors saved to {path}"),
    # export and report
    "cli.exported": ("已导出 {n} 条：{path}", "Exported {n} rows: {path}"),
    "cli.coverage_title": ("{month}探访覆盖率", "Visit coverage, {month}"),
    "cli.month": ("{year}年{month:02d}月", "{year}-{month:02d}"),
    "cli.col.village": ("村(社区)", "Village"),
    "cli.col.category": ("类别", "Category"),
    "cli.col.required": ("应访", "Due"),
    "cli.col.contacted": ("已访", "Done"),
    "cli.col.rate": ("覆盖率", "Rate"),
    "cli.col.name": ("姓名", "Name"),
    "cli.col.id": ("身份证号", "ID number"),
    "cli.col.action": ("建议", "Suggest"),
    "cli.col.reason": ("依据", "Because"),
    "cli.total": ("合计", "All"),
    "cli.eligible_title": ("政策找人", "Possibly eligible"),
    "cli.add": ("增加", "Add"),
    "cli.remove": ("去掉", "Remove"),
    "cli.count": ("共 {n} 条", "{n} in all"),
    # the importer's problems with a whole file
    "import.file.encoding": (
        "CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码",
        "the CSV file is neither UTF-8 nor GBK/GB18030",
    ),
    "import.file.encoding.fix": (
        "请在 Excel 中另存为“CSV UTF-8”",
        "save it from Excel as “CSV UTF-8”",
    ),
    "import.file.unreadable": (
        "无法读取 Excel 文件 {name}：文件已损坏或不完整",
        "cannot read the Excel file {name}: it is damaged or incomplete",
    ),
    "import.file.unreadable.fix": (
        "请在 Excel 或 WPS 中打开它，另存为 .xlsx 后再导入；打不开时请向发送人重新要一份",
        "open it in Excel or WPS and save it again as .xlsx; if it does not open, ask the "
        "sender for a new copy",
    ),
    "import.file.unsupported": ("不支持 {suffix} 文件", "{suffix} files are not supported"),
    "import.file.unsupported.fix": ("请使用 .xlsx 或 .csv", "use .xlsx or .csv"),
    "import.file.no_extension": (
        "不支持无扩展名的文件",
        "a file without an extension is not supported",
    ),
    "import.file.no_extension.fix": ("请使用 .xlsx 或 .csv", "use .xlsx or .csv"),
    "import.file.empty": ("{name} 是空的", "{name} is empty"),
    "import.file.empty.fix": (
        "请在第一行填写表头（姓名、身份证号……）",
        "put the column headers (Name, ID number, …) in the first row",
    ),
    "import.file.missing_columns": (
        "缺少必需的列：{columns}（第{header_row}行被当作表头）",
        "required columns are missing: {columns} (row {header_row} was taken as the header)",
    ),
    "import.file.missing_columns.fix": (
        "请在表头加上这些列（可先用 civtui import template persons 生成模板）",
        "add these columns to the header (civtui import template persons writes a template)",
    ),
    # the importer's problems with one row or cell
    "import.invalid": ("{message}", "{message}"),
    "import.invalid.fix": ("请按问题说明修改", "change it as the problem says"),
    "import.unknown_village": (
        "不是本机档案中的村(社区)",
        "is not a village of this laptop's profile",
    ),
    "import.unknown_village.fix": ("请填写：{known}", "write one of: {known}"),
    "import.numeric_id": (
        "Excel 把身份证号存成了数字，只保留了前15位，后几位已丢失（即使校验位碰巧正确也可能是别人的号码）",
        "Excel stored the ID number as a number: it kept 15 digits and lost the rest (even "
        "when the check digit happens to fit, the number may be someone else's)",
    ),
    "import.numeric_id.fix": (
        "请把该列设为“文本”格式后重新输入（或粘贴）身份证号",
        "set the column's format to Text, then type (or paste) the ID numbers again",
    ),
    "import.numeric_phone": (
        "Excel 把电话号码存成了数字，开头的0或分机号可能已丢失",
        "Excel stored the phone number as a number: a leading 0 or an extension may be lost",
    ),
    "import.numeric_phone.fix": (
        "请把该列设为“文本”格式后重新输入电话号码",
        "set the column's format to Text, then type the phone numbers again",
    ),
    "import.duplicate_in_file": (
        "与第{first_row}行的身份证号重复",
        "has the same ID number as row {first_row}",
    ),
    "import.duplicate_in_file.fix": ("请删除重复的一行", "delete one of the two rows"),
    "import.already_registered": (
        "已登记为“{name}”，本行跳过",
        "already registered as {name}; row skipped",
    ),
    "import.already_registered.fix": (
        "如需用本表更新，请加 --update-existing",
        "add --update-existing to update them from this file",
    ),
    "import.likely_duplicate": (
        "疑似重复：已有同名同生日的“{name}”（{masked}）",
        "possible duplicate: {name} ({masked}) has the same name and birth date",
    ),
    "import.not_a_choice": ("不是可选的值", "is not one of the choices"),
    "import.not_a_choice.fix": ("可填：{allowed}", "write one of: {allowed}"),
    "import.id_upgraded": (
        "第{line}行是15位的第一代身份证号，已按国家标准转换为18位：{new}",
        "row {line} holds a 15-digit first-generation ID; it was converted to 18 digits by "
        "the standard's rule: {new}",
    ),
    "import.id_upgraded.fix": (
        "请与本人证件核对；如不对，请改正后重新导入",
        "check it against the person's card; if it is wrong, correct it and import again",
    ),
    # the importer's notes about the sheet as a whole
    "import.header_found": (
        "第{header_row}行被当作表头，上面的标题行没有读入",
        "row {header_row} was taken as the header; the title rows above it were not read",
    ),
    "import.header_found.fix": (
        "如表头不在这一行，请删去表头上方多余的行",
        "if the header is elsewhere, delete the extra rows above it",
    ),
    "import.footer_stopped": (
        "这一行是表尾（填表人、审核人或合计），从这一行起不再读入",
        "this row is the sheet's footer (signatures or totals); reading stopped here",
    ),
    "import.footer_stopped.fix": (
        "如下面还有人员，请把表尾移到最后",
        "if people are listed below it, move the footer to the end",
    ),
    "import.unused_column": (
        "这一列没有导入：不认识这个表头",
        "this column was not imported: its header is not known",
    ),
    "import.unused_column.fix": (
        "如需导入，请把表头改为模板中的名称（civtui import template persons）",
        "to import it, rename the header as in the template (civtui import template persons)",
    ),
    "import.derived_column": (
        "这一列没有导入：由身份证号或行号自动得出",
        "this column was not imported: it follows from the ID number or the row",
    ),
    "import.derived_column.fix": ("无需处理", "nothing to do"),
    "import.likely_duplicate.fix": (
        "请核对是否同一人",
        "check whether they are the same person",
    ),
    # the importer's limits, files that are not rosters, sheets and grouped headers
    "import.file.too_large": (
        "{name} 有 {size}，超过导入上限 {limit}",
        "{name} is {size}, over the import limit of {limit}",
    ),
    "import.file.too_large.fix": (
        "名册通常不到 2 MB：请只保留名册那张工作表、删去图片后另存，或分成几个文件导入",
        "a roster is rarely over 2 MB: keep only the roster's sheet, delete pictures and save "
        "again, or import it as several files",
    ),
    "import.file.unpacked_too_large": (
        "{name} 解压后有 {size}，超过上限 {limit}",
        "{name} unpacks to {size}, over the limit of {limit}",
    ),
    "import.file.unpacked_too_large.fix": (
        "请只保留名册那张工作表，删去图片和大量空白格式后另存为 .xlsx 再导入",
        "keep only the roster's sheet, delete pictures and formatting far beyond the data, "
        "save as .xlsx and import again",
    ),
    "import.file.zip_ratio": (
        "{name} 中的 {part} 压缩了 {ratio} 倍，超过上限 {limit} 倍，像是“压缩炸弹”，没有读取",
        "{part} in {name} is packed {ratio} times, over the limit of {limit} times: it looks "
        "like a decompression bomb and was not read",
    ),
    "import.file.zip_ratio.fix": (
        "请向发送人核实文件来源；名册请在 Excel 或 WPS 中另存为 .xlsx 后再导入",
        "check with the sender where the file came from; save a roster from Excel or WPS as "
        ".xlsx and import that",
    ),
    "import.file.too_many_rows": (
        "工作表“{sheet}”的第{row}行超过了行数上限（{limit}行）",
        "row {row} of the sheet {sheet!r} is past the limit of {limit} rows",
    ),
    "import.file.too_many_rows.fix": (
        "请分成每个不超过{limit}行的文件导入；如名册下方有大量空行或格式，请删去这些行后另存",
        "import it as files of at most {limit} rows each; if blank or formatted rows run on "
        "below the roster, delete them and save again",
    ),
    "import.file.too_many_columns": (
        "工作表“{sheet}”第{row}行用到了第{column}列，超过了列数上限（{limit}列）",
        "row {row} of the sheet {sheet!r} reaches column {column}, past the limit of {limit} "
        "columns",
    ),
    "import.file.too_many_columns.fix": (
        "请删去名册右侧多余的列（包括只设了格式的空列）后另存",
        "delete the extra columns right of the roster (formatted empty ones too) and save again",
    ),
    "import.file.too_many_strings": (
        "文件中不同的文字（共享字符串）超过上限{limit}个（已数到{count}个）",
        "the file holds more distinct texts (shared strings) than the limit of {limit} "
        "(counted {count})",
    ),
    "import.file.too_many_strings.fix": (
        "名册不会有这么多不同的内容：请向发送人核实文件来源，或分成几个文件导入",
        "no roster holds that many: check with the sender where the file came from, or "
        "import it as several files",
    ),
    "import.file.zero_bytes": (
        "{name} 是空文件（0 字节），可能没有保存完或没有下载完",
        "{name} is empty (0 bytes): it was perhaps not saved or downloaded completely",
    ),
    "import.file.zero_bytes.fix": (
        "请在原电脑上重新保存，或从微信重新下载后再导入",
        "save it again on the computer it came from, or download it again",
    ),
    "import.file.encrypted": (
        "{name} 设置了打开密码（加密的工作簿），无法读取",
        "{name} has a password to open (an encrypted workbook) and cannot be read",
    ),
    "import.file.encrypted.fix": (
        "请在 Excel 中用密码打开，在“文件→信息→保护工作簿→用密码进行加密”中清空密码，"
        "另存为 .xlsx 后再导入",
        "open it in Excel with its password, clear the password (File, Info, Protect "
        "Workbook, Encrypt with Password), save as .xlsx and import that",
    ),
    "import.file.old_xls": (
        "{name} 是旧版 Excel 97-2003 文件（.xls），不能直接读取",
        "{name} is an old Excel 97-2003 file (.xls), which cannot be read directly",
    ),
    "import.file.old_xls.fix": (
        "请在 Excel 或 WPS 中打开，另存为“Excel 工作簿 (.xlsx)”后再导入",
        "open it in Excel or WPS, save it as an Excel Workbook (.xlsx) and import that",
    ),
    "import.file.looks_html": (
        "{name} 其实是网页（HTML）或 XML 格式的表格，只是扩展名像 Excel（系统导出的 .xls 常见这种情况）",
        "{name} is really a web page (HTML) or XML table with an Excel-like name (common for "
        ".xls files exported by online systems)",
    ),
    "import.file.looks_html.fix": (
        "请在 Excel 或 WPS 中打开，另存为“Excel 工作簿 (.xlsx)”后再导入",
        "open it in Excel or WPS, save it as an Excel Workbook (.xlsx) and import that",
    ),
    "import.file.looks_text": (
        "{name} 的扩展名是 Excel 的，内容却是 CSV 或纯文本",
        "{name} has an Excel name but holds CSV or plain text",
    ),
    "import.file.looks_text.fix": (
        "如果是 CSV，请把扩展名改为 .csv；否则请在 Excel 或 WPS 中打开，另存为 .xlsx",
        "if it is a CSV, rename it to end in .csv; otherwise open it in Excel or WPS and "
        "save it as .xlsx",
    ),
    "import.file.not_excel": (
        "{name} 既不是 Excel 工作簿，也不是 CSV 文本",
        "{name} is neither an Excel workbook nor CSV text",
    ),
    "import.file.not_excel.fix": (
        "请确认选对了文件；名册请在 Excel 或 WPS 中另存为 .xlsx 或 CSV",
        "check that this is the right file; save a roster from Excel or WPS as .xlsx or CSV",
    ),
    "import.file.zip_not_xlsx": (
        "{name} 是压缩包（或 Word、WPS 文档），里面没有 Excel 工作簿",
        "{name} is an archive (or a Word or WPS document) with no Excel workbook in it",
    ),
    "import.file.zip_not_xlsx.fix": (
        "请解压后选择其中的 .xlsx 名册，或在 Excel 或 WPS 中另存为 .xlsx",
        "unpack it and pick the .xlsx roster inside, or save the roster from Excel or WPS as .xlsx",
    ),
    "import.file.no_sheet": (
        "没有名为“{sheet}”的工作表；本文件的工作表有：{names}",
        "there is no sheet named {sheet!r}; the file's sheets are: {names}",
    ),
    "import.file.no_sheet.fix": (
        "请在 --sheet 后照上面写工作表名",
        "after --sheet, write a sheet name as listed",
    ),
    "import.file.no_visible_sheet": (
        "所有工作表都是隐藏的：{names}",
        "every sheet is hidden: {names}",
    ),
    "import.file.no_visible_sheet.fix": (
        "隐藏的工作表常是旧名册；确要导入时请加 --sheet 工作表名",
        "hidden sheets are often old rosters; to import one anyway, add --sheet and its name",
    ),
    "import.file.ambiguous_columns": (
        "第{first_column}列“{first}”和第{second_column}列“{second}”都会被当作“{field}”，无法确定是哪一列",
        "columns {first_column} ({first}) and {second_column} ({second}) both read as "
        "{field}; which one is meant cannot be told",
    ),
    "import.file.ambiguous_columns.fix": (
        "请删去其中一列，或改名说明是谁的（如“监护人电话”“备用电话”）；"
        "两行表头请用合并的分组单元格（如“监护人”）标明",
        "delete one of them, or rename it to say whose it is (such as Guardian phone); in a "
        "two-row header, say it with a merged group cell above",
    ),
    "import.sheet_used": (
        "读取的是工作表“{sheet}”，表头在第{header_row}行",
        "read the sheet {sheet!r}, with its header in row {header_row}",
    ),
    "import.sheet_used.fix": (
        "如要读取其他工作表，请加 --sheet 工作表名",
        "to read another sheet, add --sheet and its name",
    ),
    "import.hidden_sheets_skipped": (
        "隐藏的工作表没有读取：{names}",
        "hidden sheets were not read: {names}",
    ),
    "import.hidden_sheets_skipped.fix": (
        "隐藏的工作表常是旧名册；确要导入时请加 --sheet 工作表名",
        "hidden sheets are often old rosters; to import one anyway, add --sheet and its name",
    ),
    "import.other_roster_sheets": (
        "工作表{names}看起来也是名册，这次只读取了“{sheet}”",
        "the sheets {names} look like rosters too; only {sheet!r} was read this time",
    ),
    "import.other_roster_sheets.fix": (
        "如也要导入，请每个工作表各导入一次：加 --sheet 工作表名",
        "to import them too, import each sheet once more with --sheet and its name",
    ),
    "import.grouped_header": (
        "第{group_row}-{header_row}行是两行表头：列名由上方的分组和下方的列名合成（如“监护人·电话”）",
        "rows {group_row}-{header_row} are a two-row header: each column is named by its group "
        "above and its own header below",
    ),
    "import.grouped_header.fix": (
        "请核对下面“没有导入”的列；不认识的分组下的列不会导入",
        "check the columns listed as not imported: columns under an unknown group are left out",
    ),
    "import.id_digits_converted": (
        "身份证号中有其他文字的数字，已改为半角数字0-9：{new}",
        "the ID number held digits of another script; they were written as 0-9: {new}",
    ),
    "import.id_digits_converted.fix": (
        "请与本人证件核对",
        "check it against the person's card",
    ),
    "import.formula_like": (
        "以 = + - @ 开头，在 Excel 中可能被当作公式；已按文字原样导入",
        "begins with = + - or @, which Excel may run as a formula; imported as text, as written",
    ),
    "import.formula_like.fix": (
        "如这不是本来要写的内容，请在本机修改",
        "if it is not what was meant, correct it on this laptop",
    ),
    # an error nobody caught in a command (civtui.cli: the crash report)
    "cli.crash": (
        "civtui 遇到意外错误（{error}），命令没有完成。已保存的记录不受影响。"
        "错误详情已写入 {path}，请把这个文件交给乡镇民政办或技术支持。",
        "civtui met an unexpected error ({error}) and the command did not finish. Saved "
        "records are not affected. The details are in {path}: please send that file to the "
        "township office or support.",
    ),
    # the importer's CSV lines measured before they are parsed, and the grouped header's
    # columns without a header of their own
    "import.file.csv_line_too_long": (
        "{name} 第{row}行超过了每行{limit}个字符的上限，不像是名册（也可能整个文件没有换行）",
        "line {row} of {name} is longer than the limit of {limit} characters: it is no "
        "roster line (or the file has no line breaks)",
    ),
    "import.file.csv_line_too_long.fix": (
        "请在 Excel 或 WPS 中打开核对该行，删去多余内容后另存为 CSV（或 .xlsx）再导入",
        "open it in Excel or WPS, check that line, delete what does not belong and save it "
        "as CSV (or .xlsx) again",
    ),
    "import.file.csv_malformed": (
        '{name} 从第{row}行起读不下去：多半有一个引号（"）没有配对，或一格超过{limit}个字符',
        '{name} cannot be read from row {row} on: most likely a quote (") is not closed, or '
        "a cell is longer than {limit} characters",
    ),
    "import.file.csv_malformed.fix": (
        "请在 Excel 或 WPS 中打开，核对该行附近的引号和很长的格子，另存为 CSV（或 .xlsx）再导入",
        "open it in Excel or WPS, check the quotes and very long cells near that row, and "
        "save it as CSV (or .xlsx) again",
    ),
    "import.unnamed_column": (
        "第{letter}列没有表头，但有内容（如“{example}”），没有导入",
        "column {letter} has no header but holds data (such as {example!r}); it was not imported",
    ),
    "import.unnamed_column.fix": (
        "请给这一列填上表头（如“监护人电话”）后重新导入，或确认这一列不需要",
        "give the column a header (such as the guardian's phone) and import again, or make "
        "sure it is not needed",
    ),
    # -- ledgers a township signs: one village's ledger
    "cli.village_unknown": (
        "--village：本档案没有代码为“{code}”的村(社区)；请改用其中之一：{known}",
        "--village: this profile holds no village with code {code!r}; use one of: {known}",
    ),
}

#: The English of the commands' help texts, by their Chinese text as written in the code
#: (click reads help when a command is defined, before `--lang` is known; see civtui.cli).
HELP_EN: dict[str, str] = {
    "civtui：村(社区)民政探访、儿童随访与老人需求记录。不带子命令时打开界面。": (
        "civtui: home visits, child checks and elder needs for a village's civil-affairs "
        "work. Without a subcommand it opens the app."
    ),
    "使用的档案名（默认：上次使用的档案）。": "The profile to use (default: the last one used).",
    "界面语言。": "Interface language.",
    "创建本机档案：一个村(社区)和使用它的工作人员。": (
        "Create this laptop's profile: one village and the staff member using it."
    ),
    "12位统计用区划代码，如 330902112201。": "The 12-digit statistical area code, e.g. 330902112201.",
    "村(社区)名称。": "The village's name.",
    "所属乡镇(街道)。": "Its township.",
    "你的姓名。": "Your name.",
    "档案已存在时重建（旧文件改名保留）。": (
        "Rebuild the profile if it exists (the old file is kept under another name)."
    ),
    "创建演示档案：三个海岛村的虚构人员和近三个月的工作记录。": (
        "Create the demo profile: made-up people of three island villages and three months of work."
    ),
    "生成多少名服务对象。": "How many people to generate.",
    "随机种子；相同种子生成相同数据。": "Random seed; the same seed gives the same data.",
    "演示档案已存在时重建（旧文件改名保留）。": (
        "Rebuild the demo profile if it exists (the old file is kept under another name)."
    ),
    "档案概况：村(社区)、各类记录数量、待同步的修改、上次同步。": (
        "The profile at a glance: villages, record counts, changes to sync, last sync."
    ),
    "以 JSON 输出（键名稳定，见 README）。": "Print JSON (stable keys, see the README).",
    "从 Excel/CSV 导入服务对象名册。": "Import a roster of people from Excel or CSV.",
    "生成的 .xlsx 文件（默认：当前文件夹下的“服务对象名册模板.xlsx”）。": (
        "The .xlsx file to write (default: 服务对象名册模板.xlsx in the current folder)."
    ),
    "生成带中文表头、填写说明和下拉选项的空白名册模板。": (
        "Write an empty roster template with Chinese headers, notes and drop-down lists."
    ),
    "只检查，不写入。": "Check only; write nothing.",
    "导入正确的行；错误行另存到输入文件旁。": (
        "Import the good rows; save the bad ones beside the input file."
    ),
    "身份证号已登记的，用表中内容更新。": "Update people whose ID number is already registered.",
    "以 JSON 输出结果。": "Print the result as JSON.",
    "读取这个工作表（隐藏的也可以）；默认读取第一个像名册的可见工作表。": (
        "Read this sheet (a hidden one too); by default the first visible sheet that looks "
        "like a roster is read."
    ),
    "导入服务对象（.xlsx，或 UTF-8 / GBK 编码的 .csv）。有错误行时默认一行也不导入。": (
        "Import people (.xlsx, or .csv in UTF-8 or GBK). If any row is wrong, by default "
        "no row is imported."
    ),
    "导出可打印的月度台账（.xlsx 或 .csv）。": "Export a printable monthly ledger (.xlsx or .csv).",
    "探访台账、各类别覆盖率、待访名单。": "Visit ledger, coverage by category, who is due.",
    "儿童随访台账、儿童类别覆盖率、待随访名单。": (
        "Child-check ledger, coverage of child categories, who is due."
    ),
    "只导出这些状态（可多次给出）。": "Only these statuses (may be given more than once).",
    "老人需求台账及办理记录。": "Elder-needs ledger and its history.",
    "覆盖率与政策找人报告。": "Coverage and eligibility reports.",
    "以 JSON 输出。": "Print JSON.",
    # The sync commands' own files are another room (civtui/cli/sync.py, sync/server/cli.py);
    # their one-line summaries are listed here for `civtui --help`.
    "登录同步服务器：核对令牌，保存在系统密码库中（本机没有密码库时保存在加密的档案里）。": (
        "Log in to the sync server: check the token and keep it in the system keyring "
        "(or, where there is none, inside the encrypted profile)."
    ),
    "先上传本机修改，再下载其他人的修改。可随时中断、重复运行。": (
        "Upload this laptop's changes, then download everyone else's. Safe to stop and rerun."
    ),
    "乡镇(街道)同步服务器：初始化、令牌、运行。": "The township sync server: set up, tokens, run.",
    "各村(社区)、各类别的探访覆盖率。": "Visit coverage by village and category.",
    "政策找人：看起来符合某类别却未标记的人（以及已不符合的标记）。": (
        "People who look eligible for a category they lack (and flags that no longer fit)."
    ),
    # -- ledgers a township signs
    "只导出这个村(社区)（12位代码）；默认本档案的全部村(社区)。": (
        "Only this village (its 12-digit code); default: every village of this profile."
    ),
}

#: Click's own messages (its gettext message ids, click 8.1–8.5) in Chinese; the English is
#: click's. Used by civtui.cli.clicklang when the CLI speaks Chinese.
CLICK_ZH: dict[str, str] = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看用法。",
    "Aborted!": "已中止。",
    "Missing command.": "缺少子命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有 {name!r} 这个选项。",
    "No such command {name!r}.": "没有 {name!r} 这个命令。",
    "Did you mean {possibility}?": "你是不是想用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（你是不是想用其中之一：{possibilities}？）",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "{value!r} is not {choice}.": "{value!r} 不是可选值；只能是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是可选值；可选：{choices}。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合以下任何格式：{formats}。",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要跟一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要跟 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "required": "必填",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
}
