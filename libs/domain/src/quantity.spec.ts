import { formatCpu, formatMemory, parseCpu, parseMemory, QuantityError } from './quantity';

describe('CPU quantities', () => {
  it.each([
    ['0.5', 500],
    ['2', 2000],
    ['250m', 250],
    ['.25', 250],
    ['1.125', 1125],
  ])('%s is %d millicores', (text, millis) => expect(parseCpu(text)).toBe(millis));

  it.each(['', 'abc', '-1', '1.2345', '1e3', '5 m'])('rejects %p', (text) => {
    expect(() => parseCpu(text)).toThrow(QuantityError);
  });

  it('formats millicores back', () => expect(formatCpu(1500)).toBe('1.5'));
});

describe('memory quantities', () => {
  it.each([
    ['64Mi', 64 * 1024 * 1024],
    ['1Gi', 1024 ** 3],
    ['500M', 500e6],
    ['512', 512],
    ['1.5Ki', 1536],
  ])('%s is %d bytes', (text, bytes) => expect(parseMemory(text)).toBe(bytes));

  it.each(['', '64MB', 'Mi', '-5Mi', '1Pi'])('rejects %p', (text) => {
    expect(() => parseMemory(text)).toThrow(/invalid memory quantity/);
  });

  it('formats bytes in binary units', () => {
    expect(formatMemory(64 * 1024 * 1024)).toBe('64Mi');
    expect(formatMemory(1536)).toBe('1.5Ki');
    expect(formatMemory(100)).toBe('100');
  });
});
