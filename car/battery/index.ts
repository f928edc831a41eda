/** The battery gauge: the INA219 driver and its register maths, and the gauge that samples it and judges a low battery. */
export {
  ADC_12BIT_128_SAMPLES,
  BUS_CNVR,
  BUS_OVF,
  BUS_VOLTAGE_LSB_V,
  CALIBRATION_SCALE,
  CONFIG_BRNG,
  CONFIG_PG_SHIFT,
  CONFIG_RESET_VALUE,
  CONFIG_RST,
  DEFAULT_INA219_ADDRESS,
  Ina219,
  Ina219ConfigError,
  PGA_RANGES_MV,
  REG_BUS_VOLTAGE,
  REG_CALIBRATION,
  REG_CONFIG,
  REG_CURRENT,
  REG_POWER,
  REG_SHUNT_VOLTAGE,
  SHUNT_VOLTAGE_LSB_V,
  currentRegisterFor,
  decodeBusVoltage,
  decodeShuntVoltage,
  ina219Calibration,
  powerRegisterFor,
  signed16,
  swapBytes,
} from './ina219.ts';
export type { BusRangeV, Ina219Calibration, Ina219Reading, Ina219Settings, PgaRangeMv } from './ina219.ts';
export { BatteryGauge } from './gauge.ts';
export type { BatteryGaugeConfig, BatteryState, GaugeLog } from './gauge.ts';
export { LowBatteryJudge } from './low-battery.ts';
