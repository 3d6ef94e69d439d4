import java.io.File;
import java.util.Locale;
import org.apache.poi.openxml4j.opc.OPCPackage;
import org.apache.poi.openxml4j.opc.PackageAccess;
import org.apache.poi.ss.usermodel.Cell;
import org.apache.poi.ss.usermodel.CellType;
import org.apache.poi.ss.usermodel.DataFormatter;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;

/** Opens each file named on the command line with XSSFWorkbook (read-only) and walks every cell.
 *  Output, tab-separated: "FILE path", "SHEET name rows cells", with -cells also
 *  "CELL ref type format shown" (shown: German formatting of the cached value), and "OK" or
 *  "ERROR class message" per file. Exit code 1 when a file could not be read. */
public class PoiRead {
    public static void main(String[] args) {
        boolean cells = false;
        boolean failed = false;
        DataFormatter formatter = new DataFormatter(Locale.GERMANY);
        for (String arg : args) {
            if (arg.equals("-cells")) { cells = true; continue; }
            System.out.println("FILE\t" + arg);
            try (OPCPackage pkg = OPCPackage.open(new File(arg), PackageAccess.READ);
                 XSSFWorkbook wb = new XSSFWorkbook(pkg)) {
                for (Sheet sheet : wb) {
                    int rows = 0, count = 0;
                    StringBuilder out = new StringBuilder();
                    for (Row row : sheet) {
                        rows++;
                        for (Cell cell : row) {
                            count++;
                            CellType type = cell.getCellType();
                            CellType value = type == CellType.FORMULA ? cell.getCachedFormulaResultType() : type;
                            String shown;
                            if (value == CellType.NUMERIC) {
                                shown = formatter.formatRawCellContents(cell.getNumericCellValue(),
                                    cell.getCellStyle().getDataFormat(), cell.getCellStyle().getDataFormatString());
                            } else if (value == CellType.STRING) {
                                shown = cell.getRichStringCellValue().getString();
                            } else if (value == CellType.BOOLEAN) {
                                shown = String.valueOf(cell.getBooleanCellValue());
                            } else if (value == CellType.ERROR) {
                                shown = "#" + cell.getErrorCellValue();
                            } else {
                                shown = "";
                            }
                            if (cells) {
                                out.append("CELL\t").append(sheet.getSheetName()).append('!')
                                   .append(cell.getAddress().formatAsString()).append('\t').append(type)
                                   .append('\t').append(cell.getCellStyle().getDataFormatString())
                                   .append('\t').append(shown.replace('\t', ' ').replace('\n', ' ')).append('\n');
                            }
                        }
                    }
                    System.out.println("SHEET\t" + sheet.getSheetName() + "\t" + rows + "\t" + count);
                    System.out.print(out);
                }
                System.out.println("OK");
            } catch (Throwable exc) {
                failed = true;
                System.out.println("ERROR\t" + exc.getClass().getName() + "\t"
                    + String.valueOf(exc.getMessage()).replace('\n', ' '));
            }
        }
        System.exit(failed ? 1 : 0);
    }
}
